// API tests of the Todo API with Node's own test runner and fetch (Node 18+, nothing to install):
//   node --test todo.test.mjs      with the API's base URL in $API_URL
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";

const BASE = process.env.API_URL.replace(/\/$/, "");

async function call(method, path, { token, json, body, headers = {} } = {}) {
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  const response = await fetch(BASE + path, { method, headers, body, signal: AbortSignal.timeout(10000) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text ? JSON.parse(text) : null };
}

async function newUser() {
  const email = `node-${randomUUID()}@example.com`;
  const password = "correct-horse-2";
  const made = await call("POST", "/register", { json: { email, password } });
  assert.equal(made.status, 201);
  assert.equal(made.json.password, undefined);
  const login = await call("POST", "/login", { json: { email, password } });
  assert.equal(login.status, 200);
  return { email, token: login.json.token };
}

async function create(token, fields = {}) {
  const made = await call("POST", "/todos", { token, json: { title: "write tests", ...fields } });
  assert.equal(made.status, 201);
  return made;
}

test("a wrong password is refused", async () => {
  const { email } = await newUser();
  const wrong = await call("POST", "/login", { json: { email, password: "not-the-password" } });
  assert.equal(wrong.status, 401);
});

test("create: 201, the todo, its Location", async () => {
  const { token } = await newUser();
  const made = await create(token);
  assert.equal(made.json.done, false);
  assert.equal(made.json.due, null);
  assert.ok((made.headers.get("location") || "").endsWith(`/todos/${made.json.id}`));
});

test("no token, no todos", async () => {
  assert.equal((await call("GET", "/todos")).status, 401);
  assert.equal((await call("POST", "/todos", { json: { title: "x" } })).status, 401);
});

test("invalid todos are refused", async () => {
  const { token } = await newUser();
  for (const json of [{ title: "" }, { title: "x", done: "yes" }, { title: "x".repeat(201) }]) {
    const answer = await call("POST", "/todos", { token, json });
    assert.ok([400, 422].includes(answer.status), `${JSON.stringify(json)} answered ${answer.status}`);
  }
  const broken = await call("POST", "/todos", { token, body: "{oops", headers: { "Content-Type": "application/json" } });
  assert.ok([400, 422].includes(broken.status));
});

test("another user's todo is forbidden", async () => {
  const owner = await newUser();
  const other = await newUser();
  const made = await create(owner.token);
  assert.equal((await call("GET", `/todos/${made.json.id}`, { token: other.token })).status, 403);
});

test("PUT replaces, PATCH changes", async () => {
  const { token } = await newUser();
  const { json: todo } = await create(token);
  await call("PUT", `/todos/${todo.id}`, { token, json: { title: "a", done: true, due: "2031-05-06" } });
  const put = await call("PUT", `/todos/${todo.id}`, { token, json: { title: "b" } });
  assert.equal(put.status, 200);
  assert.equal(put.json.done, false);
  assert.equal(put.json.due, null);
  const patched = await call("PATCH", `/todos/${todo.id}`, { token, json: { done: true } });
  assert.equal(patched.json.title, "b");
  assert.equal(patched.json.done, true);
});

test("delete: 204, then 404", async () => {
  const { token } = await newUser();
  const { json: todo } = await create(token);
  assert.equal((await call("DELETE", `/todos/${todo.id}`, { token })).status, 204);
  assert.equal((await call("GET", `/todos/${todo.id}`, { token })).status, 404);
});

test("pages, limit, total and the done filter", async () => {
  const { token } = await newUser();
  const ids = [];
  for (const done of [false, true, false]) ids.push((await create(token, { done })).json.id);
  const one = (await call("GET", "/todos?limit=2", { token })).json;
  const two = (await call("GET", "/todos?limit=2&page=2", { token })).json;
  assert.deepEqual(one.data.map((t) => t.id), ids.slice(0, 2));
  assert.deepEqual(two.data.map((t) => t.id), ids.slice(2));
  assert.equal(one.total, 3);
  const done = (await call("GET", "/todos?done=true", { token })).json;
  assert.deepEqual(done.data.map((t) => t.id), [ids[1]]);
  assert.equal(done.total, 1);
});

test("405 with Allow", async () => {
  const { token } = await newUser();
  const answer = await call("DELETE", "/todos", { token });
  assert.equal(answer.status, 405);
  assert.match(answer.headers.get("allow") || "", /GET/);
});
