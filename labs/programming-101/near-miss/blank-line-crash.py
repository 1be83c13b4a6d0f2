# Near miss (per-customer): right on the sample, but a blank line splits into one empty field
# and the unpacking fails.
import sys

lines = sys.stdin.read().splitlines()
totals = {}
for line in lines[1:]:
    order_id, customer, amount = line.split(",")
    totals[customer] = totals.get(customer, 0.0) + float(amount)
for customer in sorted(totals):
    print(f"{customer}: {totals[customer]:.2f}")
