# Near miss (top): argparse's type=int takes any whole number, so --top 0 prints nothing and exits 0,
# and --top -1 prints every customer but the last.
import argparse
import csv
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--top", type=int)
args = parser.parse_args()
totals = {}
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
        print(f"error: line {reader.line_num} is not a valid order", file=sys.stderr)
        sys.exit(1)
if args.top is None:
    ranked = sorted(totals.items())
else:
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:args.top]
for customer, total in ranked:
    print(f"{customer}: {total:.2f}")
