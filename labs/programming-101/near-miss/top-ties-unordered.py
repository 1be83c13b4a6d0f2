# Near miss (top): equal totals stay in the order the customers first appeared, not by name.
import argparse
import csv
import sys


class BadLine(Exception):
    """A line of the input that is not a valid order."""


def positive_int(text):
    """argparse type for --top: a whole number of at least 1."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return number


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Print the total of each customer's orders (CSV on stdin).")
    parser.add_argument("--top", type=positive_int, metavar="N",
                        help="print only the N customers with the biggest totals, biggest first")
    return parser.parse_args(argv)


def parse_order(row):
    """Turn one CSV row into (customer, amount); raises BadLine saying what is wrong."""
    if len(row) != 3:
        raise BadLine(f"expected 3 fields (order_id,customer,amount), found {len(row)}")
    order_id, customer, amount = row
    if not customer.strip():
        raise BadLine("the customer is empty")
    try:
        return customer, float(amount)
    except ValueError:
        raise BadLine(f"the amount {amount!r} is not a number") from None


def read_totals(lines):
    """Add up the orders of each customer; returns {customer: total}, raises BadLine with the line number."""
    totals = {}
    reader = csv.reader(lines)
    next(reader, None)  # skip the header; None: an empty input has no header at all
    for row in reader:
        if not row:  # a blank line: nothing to add
            continue
        try:
            customer, amount = parse_order(row)
        except BadLine as problem:
            raise BadLine(f"line {reader.line_num}: {problem}") from None
        totals[customer] = totals.get(customer, 0.0) + amount
    return totals


def biggest(totals, count):
    """The `count` (customer, total) pairs with the biggest totals: biggest first, equal totals by name."""
    # Sort on (-total, name): a minus sign turns "biggest first" into an ordinary ascending sort,
    # and the name decides between equal totals. Slicing past the end is fine: [:10] of 4 items is 4 items.
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    return ranked[:count]


def main():
    args = parse_args(sys.argv[1:])
    try:
        totals = read_totals(sys.stdin)
    except BadLine as problem:
        print(f"error: {problem}", file=sys.stderr)
        sys.exit(1)
    if args.top is None:
        lines = sorted(totals.items())
    else:
        lines = biggest(totals, args.top)
    for customer, total in lines:
        print(f"{customer}: {total:.2f}")


main()
