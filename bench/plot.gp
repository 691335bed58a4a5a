# Throughput over time across a cable pull, iscsi-nbd beside open-iscsi +
# dm-multipath, from the fio completion logs of bench/mp-uml-guest.sh
# binned to 100 ms by bench/mp-stall.py (files "seconds-from-pull MiB/s").
#   gnuplot -e "dir='RESULTS_DIR'" bench/plot.gp   -> RESULTS_DIR/mp-failover.png
if (!exists("dir")) dir = "."
set terminal pngcairo size 1200,700 font "sans,11"
set output dir."/mp-failover.png"
set title "Cable pull under fio 4 KiB randwrite QD16 (UML guest, tgtd, two paths): throughput in 100 ms bins"
set xlabel "seconds from the cable pull (ip link set ini1 down)"
set ylabel "MiB/s"
set grid
set key outside bottom center horizontal
set xrange [-4:*]
set yrange [0:*]
set arrow from 0, graph 0 to 0, graph 1 nohead dashtype 2 lc rgb "red"
set label "cable pulled" at 0.2, graph 0.95 tc rgb "red"
f(n) = dir."/uml-".n."-randwrite.dat"
plot f("kernel-pull-kdef") using 1:2 with steps lw 2 lc rgb "#1f77b4" \
	title "open-iscsi + dm-multipath (NOP 2 s, replacement 5 s)", \
     f("kernel-pull-ktuned") using 1:2 with steps lw 2 lc rgb "#17becf" \
	title "open-iscsi + dm-multipath (NOP 1 s, replacement 2 s)", \
     f("isn-pull-plain") using 1:2 with steps lw 2 lc rgb "#d62728" \
	title "iscsi-nbd attach, defaults", \
     f("isn-pull-iface") using 1:2 with steps lw 2 lc rgb "#ff7f0e" \
	title "iscsi-nbd attach, defaults, PORTAL@IFACE", \
     f("isn-pull-ifacer0") using 1:2 with steps lw 2 lc rgb "#2ca02c" \
	title "iscsi-nbd attach, PORTAL@IFACE, tgtd DefaultTime2Retain 0"
