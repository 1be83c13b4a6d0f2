# Near miss (per-customer): = instead of +=, so each customer keeps only their last order.
import csv
import sys

totals = {}
reader = csv.reader(sys.stdin)
next(reader, None)
for row in reader:
    if not row:
        continue
    order_id, customer, amount = row
    totals[customer] = float(amount)
for customer in sorted(totals):
    print(f"{customer}: {totals[customer]:.2f}")
