import sys

for number, line in enumerate(sys.stdin, start=1):
    if line.strip() == "bad":
        print(f"line {number}: 'bad' is not allowed")
        sys.exit(1)
    print(line.strip().upper())
