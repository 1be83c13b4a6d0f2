# Runs as root in the box (first start, and again on `labctl reset`): builds the shop's repository
# from scratch, so it is safe to run twice.
#   /home/learner/repos/shop.git      the "remote": a bare repository, owned by learner, cloned over SSH
#   /home/learner/colleague/shop      Sam's clone; push-fix.sh next to it plays Sam pushing to main (task 6)
#   /var/lib/git-101/feature-prices   the commit feature/prices starts with (checked by task 4)
set -eu
rm -rf /home/learner/repos /home/learner/colleague /var/lib/git-101
install -d -o learner -g learner /home/learner/repos /home/learner/colleague
install -d -m 755 /var/lib/git-101

sudo -u learner -H bash -s <<'AS_LEARNER'
set -eu
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q -b main shop
cd shop

commit() {  # commit AUTHOR EMAIL DATE MESSAGE: fixed dates, so the seeded history is the same every time
  GIT_AUTHOR_NAME=$1 GIT_AUTHOR_EMAIL=$2 GIT_COMMITTER_NAME=$1 GIT_COMMITTER_EMAIL=$2 \
  GIT_AUTHOR_DATE=$3 GIT_COMMITTER_DATE=$3 git commit -q -m "$4"
}

cat > README.md <<'EOF'
# The corner shop

Welcom to the code of our little shop.

- `app.py` greets customers and prints the price list.
- `prices.txt` holds the prices, one per line.
EOF
git add README.md
commit "Robin Owner" robin@shop.example "2024-03-01T09:00:00Z" "Add a README"

cat > app.py <<'EOF'
GREETING = "Hello"


def main():
    print(GREETING)
    with open("prices.txt") as prices:
        print(prices.read())


if __name__ == "__main__":
    main()
EOF
cat > prices.txt <<'EOF'
# Prices in euros
coffee: 2.50
tea: 2.00
croissant: 1.20
EOF
printf '2024-03-02 08:59 shop opened\n2024-03-02 09:14 sold 1 coffee\n' > shop.log
git add app.py prices.txt shop.log
commit "Robin Owner" robin@shop.example "2024-03-02T10:00:00Z" "Add the shop app and its prices"

git switch -q -c feature/prices
sed -i -e 's/^coffee: 2.50$/coffee: 2.70/' -e 's/^tea: 2.00$/tea: 2.20/' prices.txt
git add prices.txt
commit "Sam Colleague" sam@shop.example "2024-03-03T14:00:00Z" "Update coffee and tea prices"
git switch -q main

git init -q --bare -b main /home/learner/repos/shop.git
git push -q /home/learner/repos/shop.git main feature/prices
git -C /home/learner/repos/shop.git rev-parse refs/heads/feature/prices > "$work/feature-prices"

git clone -q /home/learner/repos/shop.git /home/learner/colleague/shop
git -C /home/learner/colleague/shop config user.name "Sam Colleague"
git -C /home/learner/colleague/shop config user.email sam@shop.example

cat > /home/learner/colleague/push-fix.sh <<'EOF'
#!/bin/bash
# Plays your colleague Sam: takes the latest main, fixes the typo in the README and pushes it.
# Run it as learner: `labctl ssh -- ./colleague/push-fix.sh`.
set -eu
if [ "$(id -un)" != learner ]; then exec sudo -u learner -H "$0" "$@"; fi
cd /home/learner/colleague/shop
git fetch -q origin
if git log origin/main --format=%s | grep -qxF "Fix the typo in the README"; then
  echo "Sam: my fix is already on main. Now git pull it into your clone."
  exit 0
fi
git checkout -q -B main origin/main
sed -i 's/^Welcom to/Welcome to/' README.md
printf '\nQuestions? Ask Sam (sam@shop.example).\n' >> README.md
git commit -q -am "Fix the typo in the README"
git push -q origin main
echo "Sam: I pushed \"Fix the typo in the README\" to main ($(git rev-parse --short HEAD))."
EOF
chmod 755 /home/learner/colleague/push-fix.sh
cp "$work/feature-prices" /home/learner/colleague/.feature-prices
AS_LEARNER

mv /home/learner/colleague/.feature-prices /var/lib/git-101/feature-prices
chown root:root /var/lib/git-101/feature-prices
chmod 644 /var/lib/git-101/feature-prices
