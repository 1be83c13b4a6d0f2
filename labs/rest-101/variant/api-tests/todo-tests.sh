#!/bin/sh
# API tests of the Todo API with curl and jq:   sh todo-tests.sh http://127.0.0.1:8000
# Exits 1 at the first answer that breaks the contract, saying which.
set -u
BASE=${1%/}
FAILED=0
HEADERS=$(mktemp)
BODY=$(mktemp)
trap 'rm -f "$HEADERS" "$BODY"' EXIT

# call METHOD PATH [TOKEN] [BODY]: prints the status; the answer's headers and body land in $HEADERS and $BODY
call() {
  set -- "$1" "$2" "${3:-}" "${4:-}"
  if [ -n "$4" ]; then
    curl -s -m 10 -o "$BODY" -D "$HEADERS" -w '%{http_code}' -X "$1" "$BASE$2" \
      ${3:+-H "Authorization: Bearer $3"} -H 'Content-Type: application/json' --data-raw "$4"
  else
    curl -s -m 10 -o "$BODY" -D "$HEADERS" -w '%{http_code}' -X "$1" "$BASE$2" ${3:+-H "Authorization: Bearer $3"}
  fi
}
expect() {  # expect WHAT EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then echo "FAIL: $1: expected $2, got $3"; FAILED=1; fi
}
user() {  # a fresh user; prints its token
  email="sh-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')@example.com"
  call POST /register "" "{\"email\": \"$email\", \"password\": \"correct-horse-3\"}" >/dev/null
  call POST /login "" "{\"email\": \"$email\", \"password\": \"correct-horse-3\"}" >/dev/null
  jq -r .token "$BODY"
}

EMAIL="sh-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')@example.com"
expect "register" 201 "$(call POST /register "" "{\"email\": \"$EMAIL\", \"password\": \"correct-horse-3\"}")"
expect "login with a wrong password" 401 "$(call POST /login "" "{\"email\": \"$EMAIL\", \"password\": \"wrong-horse-3\"}")"
TOKEN=$(user)
OTHER=$(user)

expect "create" 201 "$(call POST /todos "$TOKEN" '{"title": "one"}')"
ID=$(jq -r .id "$BODY")
expect "create's Location" "/todos/$ID" "$(tr -d '\r' < "$HEADERS" | sed -n 's/^[Ll]ocation: *//p' | sed 's|.*\(/todos/\)|\1|')"
expect "another user's todo" 403 "$(call GET "/todos/$ID" "$OTHER")"
expect "no token" 401 "$(call GET /todos)"
expect "an empty title" 400 "$(call POST /todos "$TOKEN" '{"title": ""}' | sed 's/422/400/')"
expect "a body that is not JSON" 400 "$(call POST /todos "$TOKEN" '{oops' | sed 's/422/400/')"

call PUT "/todos/$ID" "$TOKEN" '{"title": "one", "done": true}' >/dev/null
expect "PUT without done" "200 false" "$(call PUT "/todos/$ID" "$TOKEN" '{"title": "uno"}') $(jq -r .done "$BODY")"

call POST /todos "$TOKEN" '{"title": "two", "done": true}' >/dev/null
TWO=$(jq -r .id "$BODY")
call POST /todos "$TOKEN" '{"title": "three"}' >/dev/null
THREE=$(jq -r .id "$BODY")
call GET "/todos?limit=2&page=1" "$TOKEN" >/dev/null
expect "page 1 of 2" "$ID $TWO 3" "$(jq -r '[(.data | map(.id) | join(" ")), .total] | join(" ")' "$BODY")"
call GET "/todos?limit=2&page=2" "$TOKEN" >/dev/null
expect "page 2 of 2" "$THREE 3" "$(jq -r '[(.data | map(.id) | join(" ")), .total] | join(" ")' "$BODY")"
call GET "/todos?done=true" "$TOKEN" >/dev/null
expect "done=true" "$TWO" "$(jq -r '.data | map(.id) | join(" ")' "$BODY")"

expect "DELETE" 204 "$(call DELETE "/todos/$TWO" "$TOKEN")"
expect "GET after DELETE" 404 "$(call GET "/todos/$TWO" "$TOKEN")"
expect "DELETE /todos" 405 "$(call DELETE /todos "$TOKEN")"
tr -d '\r' < "$HEADERS" | grep -qi '^allow: .*GET' || { echo "FAIL: 405 without an Allow header"; FAILED=1; }

[ "$FAILED" = 0 ] && echo "all API tests passed"
exit "$FAILED"
