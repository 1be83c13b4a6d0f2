# Near miss (per-customer): customers in the order they first appear, not sorted by name.
import csv
import sys

totals = {}
reader = csv.reader(sys.stdin)
next(reader, None)
for row in reader:
    if not row:
        continue
    order_id, customer, amount = row
    totals[customer] = totals.get(customer, 0.0) + float(amount)
for customer, total in totals.items():
    print(f"{customer}: {total:.2f}")
