"""Pure logic of the http family's probes: fresh values, HTML read as a browser reads it, curl lines."""
from __future__ import annotations

import shlex

import pytest

from labctl.check_families.http import fresh
from labctl.check_families.http.html import html_problem, read_html
from labctl.check_families.http.request import curl_line


def test_fresh_values_are_new_each_run_and_typed():
    let = {"title": "Book ${random}", "year": "${int:1000-1999}", "copy": "${title}!", "text": "${digits:4}"}
    one, two = fresh.make_values(let), fresh.make_values(let)
    assert one["title"] != two["title"] and one["title"].startswith("Book ")
    assert isinstance(one["year"], int) and 1000 <= one["year"] <= 1999
    assert one["copy"] == one["title"] + "!"
    assert isinstance(one["text"], str) and len(one["text"]) == 4 and one["text"].isdigit() and one["text"][0] != "0"
    word = fresh.fresh_word()
    assert len(word) == 10 and word[0].isalpha() and word.isalnum()


def test_fill_keeps_a_lone_placeholder_as_its_value():
    values = {"id": 7, "name": "Ann"}
    assert fresh.fill({"id": "${id}", "who": "${name} (${id})", "n": 3, "list": ["${id}"]}, values) == \
        {"id": 7, "who": "Ann (7)", "n": 3, "list": [7]}
    assert fresh.fill(None, values) is None


@pytest.mark.parametrize("text, known, words", [
    ("${nope}", set(), "${nope} is not defined"),
    ("${int:5}", set(), "is not a fresh value"),
    ("${int:9-1}", set(), "is not a fresh value"),
    ("${random:3}", set(), "is not a fresh value"),
    ("${digits:0}", set(), "is not a fresh value"),
    ("${id:x}", {"id"}, "${id} is not defined"),
])
def test_bad_placeholders_are_refused(text, known, words):
    with pytest.raises(ValueError, match=words.replace("$", r"\$").replace("{", r"\{").replace("}", r"\}")):
        fresh.check_template(text, known)


def test_good_placeholders_pass():
    fresh.check_template("/books/${id}?q=${random}&n=${int:1-3}", {"id"})


def test_read_html_squeezes_text_and_skips_the_head():
    elements, visible = read_html('<html><head><title>T</title></head><body><h1 class="x">\n  A &#38; <i>B</i>\n</h1>'
                                  '<p>one<br>two</p><script>var x</script></body></html>')
    assert ("h1", "A & B") in elements and ("i", "B") in elements
    assert visible == "A & B one two"
    assert read_html("<p>Pri<b>de</b> &amp;<br/>Prejudice</p><div>x</div>y")[1] == "Pride & Prejudice x y"


@pytest.mark.parametrize("page", [
    "<h1>Pride &amp; Prejudice</h1>",
    '<h1 class="title" id="t">\n    Pride &#38; Prejudice\n  </h1>',
    "<h1><span>Pride</span> &amp; Prejudice</h1>",
    "<body><p>unclosed<h1>Pride &amp; Prejudice</h1>",
])
def test_html_problem_accepts_any_markup_around_the_text(page):
    assert html_problem(page, {"h1": "Pride & Prejudice"}, []) is None


def test_html_problem_names_the_missing_escape():
    title = "<em>w</em> &lt;3 & co"
    assert html_problem("<h1>&lt;em&gt;w&lt;/em&gt; &amp;lt;3 &amp; co</h1>", {"h1": title}, []) is None
    assert "a < in the text of the <h1> went into the HTML as it is" in html_problem(f"<h1>{title}</h1>", {"h1": title}, [])
    only_amp = "<h1><em>w</em> &amp;lt;3 &amp; co</h1>"
    assert "a < in the text" in html_problem(only_amp, {"h1": title}, [])
    no_amp = "<h1>&lt;em&gt;w&lt;/em&gt; &lt;3 & co</h1>"
    assert "an & in the text of the <h1> went into the HTML as it is" in html_problem(no_amp, {"h1": title}, [])
    assert html_problem("<h2>x</h2>", {"h1": "x"}, []) == "the page has no <h1> element"
    assert html_problem("<h1>x</h1>", {}, [1965]) == "the page's text does not show '1965'"


def test_curl_line_is_a_command_to_paste():
    line = curl_line("POST", "http://127.0.0.1:8000/books", {"X-Id": "it's"}, {"title": "Emma & co"})
    assert shlex.split(line) == ["curl", "-i", "-X", "POST", "-H", "X-Id: it's", "-H", "Content-Type: application/json",
                                 "-d", '{"title": "Emma & co"}', "http://127.0.0.1:8000/books"]
    assert curl_line("GET", "http://127.0.0.1:8000/books?a=1&b=2", {}) == "curl -i 'http://127.0.0.1:8000/books?a=1&b=2'"
    assert curl_line("HEAD", "http://127.0.0.1/", {}) == "curl -I http://127.0.0.1/"
    raw = shlex.split(curl_line("POST", "http://127.0.0.1/", {"Content-Type": "application/json"}, body='{"t": "Bro'))
    assert raw[-3:] == ["--data-binary", '{"t": "Bro', "http://127.0.0.1/"] and raw.count("-H") == 1


def test_a_last_hash_counts_the_items_of_a_list():
    from labctl.check_families.http.body import json_at, json_problem, parse_path

    assert parse_path("books.#") == ["books", "#"]
    assert json_at({"books": [1, 2, 3]}, "books.#") == (True, 3, "")
    assert json_problem({"books": [1, 2]}, {"books.#": 3}, None) == "the number of items in books is 2; expected 3"
    assert json_problem({"books": {}}, {"books.#": 3}, None) == \
        "the JSON has no list at books to count (books is an object, not a list)"
    assert json_problem({"books": [1]}, {"books.#": 1}, None) is None
    with pytest.raises(ValueError, match="can only be the last part"):
        parse_path("books.#.id")
