# Near miss (per-customer): assumes there is always a header, so an empty input crashes on lines[0].
import sys

lines = sys.stdin.read().splitlines()
header = lines[0]
totals = {}
for line in lines[1:]:
    if not line.strip():
        continue
    order_id, customer, amount = line.split(",")
    totals[customer] = totals.get(customer, 0.0) + float(amount)
for customer in sorted(totals):
    print(f"{customer}: {totals[customer]:.2f}")
