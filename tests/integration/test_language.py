"""The cell language seen through the protocol: is_complete, complete (cursor
positions in Unicode code points), inspect, the pager payload, error suggestions."""

import pytest

from harness import of_type, outputs


def request(kernel, msg_type, content):
    reply, iop = kernel.request(msg_type, content)
    assert [m["content"]["execution_state"] for m in iop if m["msg_type"] == "status"] \
        == ["busy", "idle"]
    return reply["content"]


@pytest.mark.parametrize("code,status", [
    ("%echo a \\", "incomplete"),
    ('%echo "abc', "incomplete"),
    ("%echo 'abc", "incomplete"),
    ("%echo a \\\n", "incomplete"),
    ("hello", "invalid"),
    ("%echo ok\nhello", "invalid"),
    ("%echo hi", "complete"),
    ("# comment", "complete"),
    ("", "complete"),
    ("%echo a \\\n  b", "complete"),
    ('%echo "a b"', "complete"),
    ("%%echo\nany body text", "complete"),
])
def test_is_complete(kernel, code, status):
    c = request(kernel, "is_complete_request", {"code": code})
    assert c["status"] == status, f"{code!r}: {c}"
    if status == "incomplete":
        assert isinstance(c.get("indent"), str)


def complete(kernel, code, cursor_pos=None):
    if cursor_pos is None:
        cursor_pos = len(code)  # Python len = code points
    c = request(kernel, "complete_request", {"code": code, "cursor_pos": cursor_pos})
    assert c["status"] == "ok"
    assert isinstance(c["metadata"], dict)
    return c


def test_complete_magic_name(kernel):
    c = complete(kernel, "%ec")
    assert "%echo" in c["matches"]
    assert all(m.startswith("%ec") for m in c["matches"])
    assert (c["cursor_start"], c["cursor_end"]) == (0, 3)


def test_complete_all_magics(kernel):
    c = complete(kernel, "%")
    for name in ("%echo", "%version", "%help", "%sleep", "%clear", "%input"):
        assert name in c["matches"]


def test_complete_on_second_line(kernel):
    code = "%echo a\n%ver"
    c = complete(kernel, code)
    assert c["matches"] == ["%version"]
    assert (c["cursor_start"], c["cursor_end"]) == (8, 12)


def test_complete_option_names(kernel):
    c = complete(kernel, "%input ")
    assert any(m.startswith("prompt") for m in c["matches"]), c["matches"]
    assert any(m.startswith("password") for m in c["matches"]), c["matches"]
    assert c["cursor_start"] == c["cursor_end"] == len("%input ")
    c = complete(kernel, "%input pro")
    assert c["matches"] and all(m.startswith("pro") for m in c["matches"])
    assert any(m.startswith("prompt") for m in c["matches"])
    assert (c["cursor_start"], c["cursor_end"]) == (7, 10)


def test_complete_sleep_options(kernel):
    c = complete(kernel, "%sleep 1 ")
    assert isinstance(c["matches"], list)
    assert "%echo" not in c["matches"], "magic names offered in option position"
    assert c["cursor_end"] == len("%sleep 1 ")


def test_complete_cursor_in_code_points(kernel):
    # The example of the specification, verbatim: "%ver" after "é" on the same line.
    code = "%echo é %ver"
    assert len(code) == 12 and len(code.encode()) == 13
    c = complete(kernel, code, 12)
    assert "%version" in c["matches"]
    assert c["cursor_end"] == 12, "cursor_end not counted in code points"
    assert c["cursor_start"] == 8, "cursor_start not counted in code points"


def test_complete_cursor_in_code_points_next_line(kernel):
    code = "%echo é\n%ver"  # the second line's magic name, after a 2-byte character
    assert len(code) == 12 and len(code.encode()) == 13
    c = complete(kernel, code, 12)
    assert "%version" in c["matches"]
    assert c["cursor_end"] == 12, "cursor_end not counted in code points"
    assert c["cursor_start"] == 8, "cursor_start not counted in code points"


def test_complete_cursor_before_astral_char(kernel):
    code = "%echo 😀\n%ec"  # U+1F600 is 1 code point, 4 UTF-8 bytes, 2 UTF-16 units
    c = complete(kernel, code, len(code))
    assert "%echo" in c["matches"]
    assert (c["cursor_start"], c["cursor_end"]) == (len(code) - 3, len(code))


def test_complete_in_middle(kernel):
    code = "%ec\n%echo x"
    c = complete(kernel, code, 3)
    assert "%echo" in c["matches"]
    assert (c["cursor_start"], c["cursor_end"]) == (0, 3)


@pytest.mark.parametrize("pos", [1, 3, 5])
def test_inspect_magic(kernel, pos):
    c = request(kernel, "inspect_request", {"code": "%echo", "cursor_pos": pos,
                                            "detail_level": 0})
    assert c["status"] == "ok"
    assert c["found"] is True
    text = c["data"]["text/plain"]
    assert text.strip() and "echo" in text


def test_inspect_after_non_ascii(kernel):
    code = "# é\n%version"
    c = request(kernel, "inspect_request", {"code": code, "cursor_pos": len(code) - 2,
                                            "detail_level": 0})
    assert c["found"] is True
    assert "version" in c["data"]["text/plain"]


def test_inspect_nothing(kernel):
    c = request(kernel, "inspect_request", {"code": "# just a comment", "cursor_pos": 4,
                                            "detail_level": 0})
    assert c["status"] == "ok"
    assert c["found"] is False


def test_pager_payload(kernel):
    reply, iop = kernel.execute("%echo?")
    c = reply["content"]
    assert c["status"] == "ok"
    assert len(c["payload"]) == 1
    p = c["payload"][0]
    assert p["source"] == "page"
    assert p["start"] == 0
    assert "echo" in p["data"]["text/plain"]
    assert of_type(iop, "error") == []
    assert outputs(iop) == []


def test_pager_matches_inspect(kernel):
    reply, _ = kernel.execute("%version?")
    page = reply["content"]["payload"][0]["data"]["text/plain"]
    assert "version" in page


def test_unknown_magic_suggestion(kernel):
    reply, iop = kernel.execute("%vresion")
    errs = of_type(iop, "error")
    assert len(errs) == 1
    assert errs[0]["content"]["ename"] == "UsageError"
    assert "version" in errs[0]["content"]["evalue"]
    assert reply["content"]["status"] == "error"


def test_syntax_error_names_closest_magic(kernel):
    reply, iop = kernel.execute("echo hi")
    errs = of_type(iop, "error")
    assert len(errs) == 1
    e = errs[0]["content"]
    assert e["ename"] == "SyntaxError"
    assert "echo hi" in e["evalue"] + "\n".join(e["traceback"])
    assert "%echo" in e["evalue"] + "\n".join(e["traceback"])


def test_continuation_line_runs_as_one(kernel):
    reply, iop = kernel.execute("%echo one \\\n  two")
    assert reply["content"]["status"] == "ok"
    text = "".join(m["content"]["text"] for m in of_type(iop, "stream"))
    assert "one" in text and "two" in text and text.count("\n") == 1
