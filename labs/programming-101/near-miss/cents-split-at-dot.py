# Near miss (one-customer): counts in cents by splitting each amount at the dot, as if the part after the
# dot were always 2 digits: "20" works, but "7.5" becomes 7 euros and 5 cents instead of 50.
import sys

lines = sys.stdin.read().splitlines()
customer, cents = "", 0
for line in lines[1:]:
    order_id, name, amount = line.split(",")
    customer = name
    euros, _, hundredths = amount.partition(".")
    cents += int(euros) * 100 + int(hundredths or 0)
print(f"{customer}: {cents // 100}.{cents % 100:02d}")
