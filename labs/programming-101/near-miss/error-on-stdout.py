# Near miss (bad-input): the right exit code and message, but printed to stdout with the report.
import csv
import sys

totals = {}
reader = csv.reader(sys.stdin)
next(reader, None)
for row in reader:
    if not row:
        continue
    try:
        order_id, customer, amount = row
        if not customer:
            raise ValueError("empty customer")
        totals[customer] = totals.get(customer, 0.0) + float(amount)
    except ValueError:
        print(f"error: line {reader.line_num} is not a valid order")
        sys.exit(1)
for customer in sorted(totals):
    print(f"{customer}: {totals[customer]:.2f}")
