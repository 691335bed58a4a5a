# Throughput by fio row, open-iscsi + dm-multipath beside iscsi-nbd's
# /dev/nbd0 (and any BENCH_VARIANTS), in one UML guest: median of the
# rounds, bars from the slowest to the fastest round. Input from
# bench/kernel-table.py: kernel-bench-4k.dat (IOPS) and kernel-bench-1m.dat
# (MiB/s), a header line, then: row, and median min max per stack.
#   gnuplot -e "dir='RESULTS_DIR'; n=STACKS; rows4k=N; rows1m=N" bench/kernel-plot.gp
#     -> RESULTS_DIR/kernel-bench.png
# rows4k / rows1m: the rows in each file; a panel with none is left out
# (BENCH_ROWS may pick only 4 KiB or only 1 MiB rows).
if (!exists("dir")) dir = "."
if (!exists("n")) n = 2
if (!exists("rows4k")) rows4k = 1
if (!exists("rows1m")) rows1m = 1
set terminal pngcairo size 1200,520 font "sans,11" noenhanced
set output dir."/kernel-bench.png"
set datafile separator "\t"
set style data histogram
set style histogram errorbars gap 1 lw 1.5
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set yrange [0:*]
set key top left box opaque
set xtics nomirror
panels = (rows4k > 0) + (rows1m > 0)
set multiplot layout 1,panels title "UML guest, tgtd over two veth paths, fio libaio O_DIRECT: median of the rounds, bars = range"
if (rows4k > 0) {
	set title "4 KiB random"
	set ylabel "IOPS"
	plot for [i=0:n-1] dir."/kernel-bench-4k.dat" using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) title columnheader(2+3*i)
}
if (rows1m > 0) {
	set title "1 MiB sequential, QD32"
	set ylabel "MiB/s"
	plot for [i=0:n-1] dir."/kernel-bench-1m.dat" using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) title columnheader(2+3*i)
}
unset multiplot
