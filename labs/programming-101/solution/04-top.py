"""programming-101, task 4: the biggest customers first, with --top N.

Reads a CSV of orders (order_id,customer,amount) from stdin and prints one line per customer,
"Name: total" with 2 decimals, sorted by name. With --top N, prints only the N customers with the
biggest totals, biggest first (equal totals by name). Blank lines are skipped. A malformed line,
or a --top that is not a whole number of at least 1, stops the program with a message on stderr
and exit code 1 (argparse uses 2 for a bad option).

--bug NAME switches on one plausible mistake (one per rule of the task texts); the lab's mutants use
them to prove that the checks catch each. Without --bug, none of the `if bug(...)` branches runs.
"""
import argparse
import csv
import re
import struct
import sys

BUGS = {
    # one-customer
    "reads-sample-file": "reads one-customer.csv from the workspace instead of stdin",
    "header-as-order": "adds the header up as an order",
    "cents-after-dot": "takes the digits after the dot as cents: 7.5 is 7.05",
    "chops-last-character": "removes the line end with line[:-1], cutting a last line without one",
    "single-precision": "keeps the total in a 32-bit float",
    "round-not-format": "prints round(total, 2): 46.2",
    "truncates-cents": "truncates each amount to whole cents: 0.29 is 0.28",
    "no-space-after-colon": "prints Name:46.20",
    "waits-for-empty-line": "reads until an empty line, which never comes at the end of the input",
    # per-customer
    "last-amount-only": "keeps each customer's last amount instead of adding",
    "unsorted": "prints the customers in the order they first appear",
    "first-word-name": "keys customers by their first name only",
    "blank-line-malformed": "takes a blank line for a malformed line",
    "crlf-blank-line": "splits lines at \\n by hand: a Windows blank line (\\r) is not blank",
    "empty-input-crash": "expects a header: an empty input crashes",
    "zero-total-dropped": "leaves out a customer whose total is 0",
    # bad-input
    "four-fields-accepted": "takes the first 3 fields of a line with 4",
    "empty-customer-accepted": "accepts an empty customer",
    "empty-amount-zero": "takes an empty amount as 0",
    "trailing-text-accepted": "reads the number at the start of the amount and ignores what follows",
    "error-on-stdout": "prints the error on stdout",
    "no-line-number": "says what is wrong but not on which line",
    "header-not-counted": "numbers the lines after the header: line 3 for the 4th",
    "blank-lines-not-counted": "does not count blank lines when numbering",
    "last-bad-line": "reads on and names the last malformed line, not the first",
    "partial-report": "prints the totals so far on stdout before the error",
    "exit-zero": "prints the error but exits with code 0",
    "two-decimals-required": "refuses an amount without exactly 2 decimals (20, 7.5)",
    "traceback": "lets the error end the program in a traceback",
    # top
    "always-ranked": "ranks by total even without --top",
    "smallest-first": "ranks the smallest totals first",
    "ties-unordered": "leaves equal totals in the order customers first appear",
    "ties-by-float": "ranks on the float totals: 0.1 + 0.2 comes before 0.3, a tie to the cent",
    "top-off-by-one": "prints N - 1 customers",
    "past-the-end": "indexes ranked[i] for i < N: crashes when N is more than the customers",
    "top-truncates": "reads --top 2.5 as 2",
    "top-below-one-accepted": "accepts --top 0 and --top -1",
    "top-message-unnamed": "the error for a bad --top does not name --top",
    "top-error-on-stdout": "prints the error for a bad --top on stdout",
    "top-exit-zero": "exits with code 0 after the error for a bad --top",
    "top-partial-report": "prints the report before the error for a bad --top",
}

_bugs = argparse.ArgumentParser(add_help=False)
_bugs.add_argument("--bug", choices=sorted(BUGS), action="append", default=[])
SWITCHED_ON, ARGV = _bugs.parse_known_args()


def bug(name):
    return name in SWITCHED_ON.bug


class BadLine(Exception):
    """A line of the input that is not a valid order."""


def positive_int(text):
    """argparse type for --top: a whole number of at least 1."""
    try:
        number = int(float(text)) if bug("top-truncates") else int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 1 and not bug("top-below-one-accepted"):
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return number


class Parser(argparse.ArgumentParser):
    def error(self, message):
        if bug("top-partial-report"):
            print_lines(sorted(read_totals(input_lines()).items()))
        if bug("top-message-unnamed"):
            message = message.split(": ", 1)[-1]  # "argument --top: 'abc' is ..." -> "'abc' is ..."
            print(f"error: {message}", file=sys.stderr)
            sys.exit(2)
        if bug("top-error-on-stdout") or bug("top-exit-zero"):
            print(f"error: {message}", file=sys.stdout if bug("top-error-on-stdout") else sys.stderr)
            sys.exit(0 if bug("top-exit-zero") else 2)
        super().error(message)


def parse_args(argv):
    parser = Parser(description="Print the total of each customer's orders (CSV on stdin).")
    parser.add_argument("--top", type=positive_int, metavar="N",
                        help="print only the N customers with the biggest totals, biggest first")
    return parser.parse_args(argv)


def parse_amount(amount):
    """The amount as a number; raises ValueError when it is not one."""
    if bug("empty-amount-zero") and amount == "":
        return 0.0
    if bug("trailing-text-accepted") and re.match(r"\d+(\.\d+)?", amount):
        return float(re.match(r"\d+(\.\d+)?", amount).group())
    if bug("two-decimals-required") and not re.fullmatch(r"\d+\.\d\d", amount):
        raise ValueError(amount)
    if bug("cents-after-dot"):
        euros, _, cents = amount.partition(".")
        return int(euros) + int(cents or 0) / 100
    if bug("truncates-cents"):
        return int(float(amount) * 100) / 100
    return float(amount)


def parse_order(row):
    """Turn one CSV row into (customer, amount); raises BadLine saying what is wrong."""
    if bug("four-fields-accepted") and len(row) > 3:
        row = row[:3]
    if len(row) != 3:
        raise BadLine(f"expected 3 fields (order_id,customer,amount), found {len(row)}")
    order_id, customer, amount = row
    if not customer.strip() and not bug("empty-customer-accepted"):
        raise BadLine("the customer is empty")
    if bug("first-word-name"):
        customer = customer.split()[0]
    try:
        return customer, parse_amount(amount)
    except ValueError:
        raise BadLine(f"the amount {amount!r} is not a number") from None


def input_lines():
    """The lines of the input: stdin, read to its end."""
    if bug("reads-sample-file"):
        return open("one-customer.csv", encoding="utf-8")
    if bug("chops-last-character"):
        return (line[:-1] for line in sys.stdin)
    if bug("waits-for-empty-line"):
        return iter(sys.stdin.readline, "\n")  # at the end, readline() returns "" forever
    if bug("crlf-blank-line"):
        return open(sys.stdin.fileno(), newline="", closefd=False)  # "\r\n" kept as it is
    return sys.stdin


def numbered_rows(lines):
    """(line number, fields) for each line, the header included; the number is the one an editor shows."""
    if bug("crlf-blank-line"):
        for number, line in enumerate(lines, start=1):
            yield number, line.rstrip("\n").split(",") if line != "\n" else []
        return
    # reader.line_num counts the lines read so far, header and blank lines included.
    reader = csv.reader(lines)
    for row in reader:
        yield reader.line_num, row


def read_totals(lines):
    """Add up the orders of each customer; returns {customer: total}, raises BadLine with the line number."""
    totals = {}
    rows = numbered_rows(lines)
    if bug("empty-input-crash"):
        next(rows)
    elif not bug("header-as-order"):
        next(rows, None)  # skip the header; None: an empty input has no header at all
    blank_lines, last_problem = 0, None
    for line_number, row in rows:
        if not row and not bug("blank-line-malformed"):
            blank_lines += 1
            continue
        try:
            customer, amount = parse_order(row)
        except BadLine as problem:
            number = line_number - bug("header-not-counted") - (blank_lines if bug("blank-lines-not-counted") else 0)
            where = "" if bug("no-line-number") else f"line {number}: "
            if bug("partial-report"):
                print_lines(sorted(totals.items()))
            if bug("last-bad-line"):
                last_problem = BadLine(f"{where}{problem}")
                continue
            raise BadLine(f"{where}{problem}") from None
        if bug("last-amount-only"):
            totals[customer] = amount
        elif bug("single-precision"):
            totals[customer] = struct.unpack("f", struct.pack("f", totals.get(customer, 0.0) + amount))[0]
        else:
            totals[customer] = totals.get(customer, 0.0) + amount
    if last_problem:
        raise last_problem
    return totals


def biggest(totals, count):
    """The `count` (customer, total) pairs with the biggest totals: biggest first, equal totals by name."""
    # Sort on (-total, name): a minus sign turns "biggest first" into an ordinary ascending sort,
    # and the name decides between equal totals. Totals are compared rounded to the cent, as printed:
    # 0.1 + 0.2 is 0.30000000000000004, which must tie with 0.3. Slicing past the end is fine: [:10] of
    # 4 items is 4 items.
    if bug("ties-by-float"):
        ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    elif bug("smallest-first"):
        ranked = sorted(totals.items(), key=lambda item: (round(item[1], 2), item[0]))
    elif bug("ties-unordered"):
        ranked = sorted(totals.items(), key=lambda item: -round(item[1], 2))
    else:
        ranked = sorted(totals.items(), key=lambda item: (-round(item[1], 2), item[0]))
    if bug("past-the-end"):
        return [ranked[i] for i in range(count)]
    return ranked[:count - 1] if bug("top-off-by-one") else ranked[:count]


def print_lines(lines):
    for customer, total in lines:
        if bug("zero-total-dropped") and not total:
            continue
        if bug("round-not-format"):
            print(f"{customer}: {round(total, 2)}")
        else:
            print(f"{customer}:{'' if bug('no-space-after-colon') else ' '}{total:.2f}")


def main():
    args = parse_args(ARGV)
    try:
        totals = read_totals(input_lines())
    except BadLine as problem:
        if bug("traceback"):
            raise
        print(f"error: {problem}", file=sys.stdout if bug("error-on-stdout") else sys.stderr)
        sys.exit(0 if bug("exit-zero") else 1)
    if args.top is None and not bug("always-ranked"):
        lines = sorted(totals.items()) if not bug("unsorted") else list(totals.items())
    else:
        lines = biggest(totals, len(totals) if args.top is None else args.top)
    print_lines(lines)


main()
