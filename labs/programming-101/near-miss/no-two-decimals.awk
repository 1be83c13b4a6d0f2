# Near miss (one-customer), in awk: any language runs. print shows the total as 46.2, not 46.20.
NR > 1 { customer = $2; total += $3 }
END { print customer ": " total }
