"""programming-101, task 2: the total of each customer, sorted by name.

Reads a CSV of orders (order_id,customer,amount) from stdin and prints one line per customer,
"Name: total" with 2 decimals, sorted by name. Blank lines are skipped.
"""
import csv
import sys


def read_totals(lines):
    """Add up the orders of each customer; returns a dict {customer: total}."""
    totals = {}
    reader = csv.reader(lines)
    next(reader, None)  # skip the header; None: an empty input has no header at all
    for row in reader:
        if not row:  # a blank line: nothing to add
            continue
        order_id, customer, amount = row
        # .get(customer, 0.0): a customer's first order starts from zero.
        totals[customer] = totals.get(customer, 0.0) + float(amount)
    return totals


def main():
    totals = read_totals(sys.stdin)
    for customer in sorted(totals):  # sorted() on a dict gives its keys in order
        print(f"{customer}: {totals[customer]:.2f}")


main()
