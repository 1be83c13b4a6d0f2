# Near miss (top): ranks on the float totals as they are. 0.10 + 0.20 is 0.30000000000000004, so a
# customer with those orders comes before one with 0.30, though both totals print as 0.30 (a tie).
import argparse
import csv
import sys


def at_least_one(text):
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


parser = argparse.ArgumentParser()
parser.add_argument("--top", type=at_least_one)
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
