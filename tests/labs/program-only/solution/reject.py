import sys

for number, line in enumerate(sys.stdin, start=1):
    if line.strip() == "bad":
        sys.exit(f"line {number}: 'bad' is not allowed")
    print(line.strip().upper())
