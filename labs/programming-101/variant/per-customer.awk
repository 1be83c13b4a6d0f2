# Accepted variant (per-customer), in awk: one total per customer in an associative array; the lines are
# sorted by name by `sort`, on the name alone (-t: -k1,1) and in byte order (LC_ALL=C), like a
# programming language sorts text. Run as: awk -F, -f main.awk | LC_ALL=C sort -t: -k1,1
{ sub(/\r$/, "") }          # a Windows line end
NR == 1 || $0 == "" { next } # the header, and blank lines
{ total[$2] += $3 }
END { for (name in total) printf "%s: %.2f\n", name, total[name] }
