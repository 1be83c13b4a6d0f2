# Near miss (bad-input): on a malformed line it prints the error on stderr and exits with 1, but first
# prints the totals of the lines read so far on stdout: a partial report that passes for a whole one.
import csv
import sys

totals = {}
problem = None
reader = csv.reader(sys.stdin)
next(reader, None)
for row in reader:
    if not row:
        continue
    try:
        order_id, customer, amount = row
        if not customer.strip():
            raise ValueError("the customer is empty")
        totals[customer] = totals.get(customer, 0.0) + float(amount)
    except ValueError:
        problem = f"error: line {reader.line_num} is not a valid order"
        break
for customer in sorted(totals):
    print(f"{customer}: {totals[customer]:.2f}")
if problem:
    print(problem, file=sys.stderr)
    sys.exit(1)
