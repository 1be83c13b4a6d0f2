"""programming-101, task 1: add up the orders of one customer.

Reads a CSV of orders (order_id,customer,amount) from stdin and prints the customer's name and
the total of their orders with exactly 2 decimals, e.g. "Ada: 46.20".
"""
import csv
import sys


def main():
    reader = csv.reader(sys.stdin)
    next(reader)  # the first line is the header (order_id,customer,amount), not an order

    customer = ""
    total = 0.0
    for order_id, name, amount in reader:
        customer = name
        total += float(amount)  # amounts arrive as text: "12.50" -> 12.5

    # :.2f always prints 2 decimals (46.2 -> "46.20") and rounds away float noise
    # (0.1 + 0.2 = 0.30000000000000004 -> "0.30").
    print(f"{customer}: {total:.2f}")


main()
