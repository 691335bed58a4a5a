# Throughput and bridge CPU per GiB by job, iscsi-nbd beside its peers,
# median bars with min-max range bars, from bench/nbd-report.py's data:
#   gnuplot -e "dat='X-plot.dat'; out='X.png'; jobs='JOB JOB ...'; ttl='TITLE'; ttl2='LINE 2'" \
#     bench/nbd-plot.gp
# One column of two panels per job (MiB/s above, CPU s/GiB below): the
# jobs' scales differ by 30x, so each panel has its own.
if (!exists("ttl")) ttl = "NBD bridge benchmark"
if (exists("ttl2")) ttl = ttl."\n".ttl2
n = words(jobs)
stats dat index 0 using 2 nooutput
peers = STATS_records
pw = peers * 60 + 110
pw = pw < 260 ? 260 : pw
w = n * pw < 720 ? 720 : n * pw
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
	set terminal pngcairo size w, 780 font "sans,9" noenhanced
} else {
	set terminal png size w, 780 noenhanced
}
set output out
set datafile missing "?"
set multiplot layout 2, n title ttl
set style fill solid 0.7 border -1
set boxwidth 0.7
set grid ytics
set yrange [0:*]
set xrange [-0.6:peers - 0.4]
set xtics rotate by 30 right nomirror
set bars 2
unset key
do for [i = 1:n] {
	set title word(jobs, i)
	set ylabel (i == 1 ? "MiB/s" : "")
	plot dat index (i - 1) using 0:2:8:xtic(1) with boxes lc rgb variable, \
	     '' index (i - 1) using 0:2:3:4 with yerrorbars lc rgb "black" pt 7 ps 0.4
}
do for [i = 1:n] {
	set title word(jobs, i)." (CPU)"
	set ylabel (i == 1 ? "bridge CPU s/GiB" : "")
	plot dat index (i - 1) using 0:5:8:xtic(1) with boxes lc rgb variable, \
	     '' index (i - 1) using 0:5:6:7 with yerrorbars lc rgb "black" pt 7 ps 0.4
}
unset multiplot
