"""programming-101, task 3: stop with a clear error on a malformed line.

Reads a CSV of orders (order_id,customer,amount) from stdin and prints one line per customer,
"Name: total" with 2 decimals, sorted by name. Blank lines are skipped. A malformed line (not
3 fields, an empty customer, an amount that is not a number) stops the program: an error message
naming the line goes to stderr, nothing goes to stdout, and the exit code is 1.
"""
import csv
import sys


class BadLine(Exception):
    """A line of the input that is not a valid order."""


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
            # reader.line_num counts the lines read so far, header and blank lines included:
            # the number an editor shows next to the bad line.
            raise BadLine(f"line {reader.line_num}: {problem}") from None
        totals[customer] = totals.get(customer, 0.0) + amount
    return totals


def main():
    try:
        totals = read_totals(sys.stdin)
    except BadLine as problem:
        # Errors go to stderr, so that stdout only ever holds the report.
        print(f"error: {problem}", file=sys.stderr)
        sys.exit(1)
    for customer in sorted(totals):
        print(f"{customer}: {totals[customer]:.2f}")


main()
