/* test_mg_parse.c — the cell parser (docs/architecture.md, "The cell
 * language"), is_complete, option binding and suggestions; the interpreter's
 * hooks on text holding a NUL character. */
#include <criterion/criterion.h>
#include <string.h>

#include "mg.h"

Test(parse, lines_comments_and_blank_lines)
{
    mg_cell c;
    mg_syntax_error e;
    cr_assert_eq(mg_parse("# a comment\n\n%echo hi there\n  %version\n", &c, &e), 0, "%s",
                 e.message);
    cr_assert_eq(c.n, 2);
    cr_assert_str_eq(c.lines[0].name, "echo");
    cr_assert_str_eq(c.lines[0].rest, "hi there");
    cr_assert_eq(c.lines[0].line, 3);
    cr_assert_str_eq(c.lines[1].name, "version");
    cr_assert_eq(c.lines[1].line, 4);
    cr_assert_eq(c.lines[1].column, 3);
    mg_cell_free(&c);
}

Test(parse, options_quotes_flags_and_positionals)
{
    mg_cell c;
    mg_syntax_error e;
    cr_assert_eq(mg_parse("%train bank target=y budget=2m name=\"my model\" models=xgb,linear "
                          "--verbose as m1 sep=';'",
                          &c, &e), 0, "%s", e.message);
    mg_line *l = &c.lines[0];
    cr_assert_eq(l->n_args, 9);
    cr_assert_null(l->args[0].key);
    cr_assert_str_eq(l->args[0].value, "bank");
    cr_assert_str_eq(l->args[1].key, "target");
    cr_assert_str_eq(l->args[1].value, "y");
    cr_assert_str_eq(l->args[3].key, "name");
    cr_assert_str_eq(l->args[3].value, "my model");
    cr_assert_str_eq(l->args[4].value, "xgb,linear");
    cr_assert_str_eq(l->args[5].key, "verbose");
    cr_assert_null(l->args[5].value);
    cr_assert_null(l->args[6].key);
    cr_assert_str_eq(l->args[6].value, "as");
    cr_assert_str_eq(l->args[8].key, "sep");
    cr_assert_str_eq(l->args[8].value, ";");
    cr_assert_eq(l->args[1].column, 13);
    mg_cell_free(&c);
}

Test(parse, quoted_equals_is_a_positional_word)
{
    mg_cell c;
    mg_syntax_error e;
    cr_assert_eq(mg_parse("%x \"a=b\" 'it''s' \"say \\\"hi\\\"\"", &c, &e), 0, "%s", e.message);
    cr_assert_null(c.lines[0].args[0].key);
    cr_assert_str_eq(c.lines[0].args[0].value, "a=b");
    cr_assert_str_eq(c.lines[0].args[1].value, "its");
    cr_assert_str_eq(c.lines[0].args[2].value, "say \"hi\"");
    mg_cell_free(&c);
}

Test(parse, continuation_and_multiline_quote)
{
    mg_cell c;
    mg_syntax_error e;
    cr_assert_eq(mg_parse("%train target=y \\\n   budget=5m\n%echo done", &c, &e), 0, "%s",
                 e.message);
    cr_assert_eq(c.n, 2);
    cr_assert_eq(c.lines[0].n_args, 2);
    cr_assert_str_eq(c.lines[0].args[1].key, "budget");
    cr_assert_eq(c.lines[0].args[1].line, 2);
    cr_assert_eq(c.lines[1].line, 3);
    mg_cell_free(&c);
    cr_assert_eq(mg_parse("%echo \"two\nlines\"", &c, &e), 0, "%s", e.message);
    cr_assert_str_eq(c.lines[0].args[0].value, "two\nlines");
    mg_cell_free(&c);
}

Test(parse, cell_magic_takes_the_body)
{
    mg_cell c;
    mg_syntax_error e;
    cr_assert_eq(mg_parse("%%sql db=x\nselect 1;\nnot a magic\n", &c, &e), 0, "%s", e.message);
    cr_assert_eq(c.n, 1);
    cr_assert(c.lines[0].cell);
    cr_assert_str_eq(c.lines[0].body, "select 1;\nnot a magic\n");
    mg_cell_free(&c);
}

Test(parse, help_suffix)
{
    mg_cell c;
    mg_syntax_error e;
    cr_assert_eq(mg_parse("%train?", &c, &e), 0);
    cr_assert(c.lines[0].help);
    cr_assert_str_eq(c.lines[0].name, "train");
    mg_cell_free(&c);
}

static void expect_error(const char *code, int line, int column, const char *part)
{
    mg_cell c;
    mg_syntax_error e;
    cr_assert_eq(mg_parse(code, &c, &e), -1, "accepted: %s", code);
    cr_assert_eq(e.line, line, "%s: line %d", code, e.line);
    cr_assert_eq(e.column, column, "%s: column %d", code, e.column);
    cr_assert(strstr(e.message, part) != NULL, "'%s' lacks '%s'", e.message, part);
}

Test(parse, errors_name_line_and_column)
{
    expect_error("%echo a\ntrain target=y", 2, 1, "not a magic");
    expect_error("%echo a\n  %", 2, 4, "magic name");
    expect_error("%echo ok\n%train name=\"open", 2, 13, "unclosed quote");
    expect_error("%echo a\n%%cell", 2, 1, "first line");
    expect_error("%ec!ho", 1, 4, "unexpected");
}

Test(parse, syntax_error_keeps_the_word_for_suggestions)
{
    mg_cell c;
    mg_syntax_error e;
    cr_assert_eq(mg_parse("versoin", &c, &e), -1);
    cr_assert_str_eq(e.word, "versoin");
    cr_assert_str_eq(mg_closest_magic(e.word), "version");
}

Test(parse, completeness)
{
    cr_assert_str_eq(mg_completeness(""), "complete");
    cr_assert_str_eq(mg_completeness("# only a comment"), "complete");
    cr_assert_str_eq(mg_completeness("%echo hi"), "complete");
    cr_assert_str_eq(mg_completeness("%echo a \\"), "incomplete");
    cr_assert_str_eq(mg_completeness("%echo a \\\n"), "incomplete");
    cr_assert_str_eq(mg_completeness("%echo \"abc"), "incomplete");
    cr_assert_str_eq(mg_completeness("hello"), "invalid");
    cr_assert_str_eq(mg_completeness("# a comment ending in \\"), "complete");
}

Test(registry, binding_checks_options_and_suggests)
{
    mg_cell c;
    mg_syntax_error e;
    mg_call call;
    char why[256];
    const mg_magic *sleep = mg_find("sleep");
    cr_assert_not_null(sleep);
    cr_assert_eq(mg_parse("%sleep 2 secs=1", &c, &e), 0);
    cr_assert_eq(mg_call_bind(sleep, &c.lines[0], &call, why, sizeof why), -1);
    cr_assert(strstr(why, "unknown option 'secs'") != NULL, "%s", why);
    mg_call_clear(&call);
    mg_cell_free(&c);

    cr_assert_eq(mg_parse("%sleep", &c, &e), 0);
    cr_assert_eq(mg_call_bind(sleep, &c.lines[0], &call, why, sizeof why), -1);
    cr_assert(strstr(why, "usage: %sleep SECONDS") != NULL, "%s", why);
    mg_call_clear(&call);
    mg_cell_free(&c);

    const mg_magic *input = mg_find("input");
    cr_assert_eq(mg_parse("%input promt=x", &c, &e), 0);
    cr_assert_eq(mg_call_bind(input, &c.lines[0], &call, why, sizeof why), -1);
    cr_assert(strstr(why, "did you mean 'prompt'") != NULL, "%s", why);
    mg_call_clear(&call);
    mg_cell_free(&c);

    cr_assert_eq(mg_parse("%input prompt=\"a b\" password", &c, &e), 0);
    cr_assert_eq(mg_call_bind(input, &c.lines[0], &call, why, sizeof why), 0, "%s", why);
    cr_assert_str_eq(mg_opt(&call, "prompt"), "a b");
    cr_assert(mg_flag(&call, "password"));
    mg_call_clear(&call);
    mg_cell_free(&c);
}

Test(registry, echo_keeps_free_text_after_flags)
{
    mg_cell c;
    mg_syntax_error e;
    mg_call call;
    char why[256];
    cr_assert_eq(mg_parse("%echo --stderr a=b  \"q\" as x", &c, &e), 0);
    cr_assert_eq(mg_call_bind(mg_find("echo"), &c.lines[0], &call, why, sizeof why), 0, "%s",
                 why);
    cr_assert(mg_flag(&call, "stderr"));
    cr_assert_str_eq(call.text, "a=b  \"q\" as x");
    mg_call_clear(&call);
    mg_cell_free(&c);
}

Test(registry, durations)
{
    cr_assert_float_eq(mg_parse_duration("90s"), 90.0, 1e-9);
    cr_assert_float_eq(mg_parse_duration("5m"), 300.0, 1e-9);
    cr_assert_float_eq(mg_parse_duration("1h"), 3600.0, 1e-9);
    cr_assert_float_eq(mg_parse_duration("1.5"), 1.5, 1e-9);
    cr_assert_lt(mg_parse_duration("5 minutes"), 0);
    cr_assert_lt(mg_parse_duration("-1"), 0);
    cr_assert_lt(mg_parse_duration(""), 0);
}

Test(registry, edit_distance_and_closest)
{
    cr_assert_eq(aml_edit_distance("kitten", "sitting"), 3);
    cr_assert_eq(aml_edit_distance("", "abc"), 3);
    cr_assert_str_eq(mg_closest_magic("ech"), "echo");
    cr_assert_str_eq(mg_closest_magic("%slep"), "sleep");
    cr_assert_null(mg_closest_magic("zzzzzzzz"));
}

Test(parse, bare_exit_and_quit_are_the_exit_magic)
{
    mg_cell c;
    mg_syntax_error e;
    cr_assert_eq(mg_parse("exit", &c, &e), 0, "%s", e.message);
    cr_assert_eq(c.n, 1);
    cr_assert_str_eq(c.lines[0].name, "exit");
    mg_cell_free(&c);
    cr_assert_eq(mg_parse("%echo bye\n  quit  \n", &c, &e), 0, "%s", e.message);
    cr_assert_str_eq(c.lines[1].name, "exit");
    mg_cell_free(&c);
    cr_assert_eq(mg_parse("exit now", &c, &e), -1);
    cr_assert_eq(mg_parse("exiting", &c, &e), -1);
    cr_assert_str_eq(mg_completeness("quit"), "complete");
}

/* The interpreter's hooks take text with its length (kn.h): a NUL character
 * in it is never read as the end of the cell. */
static kn_interpreter interp_for_nul(void)
{
    static mg_session *s;
    static kn_interpreter interp;
    if (!s) {
        s = mg_session_new();
        mg_interpreter_init(&interp, s);
    }
    return interp;
}

Test(interp, nul_makes_a_cell_invalid_and_an_expression_an_error)
{
    kn_interpreter in = interp_for_nul();
    /* "%echo a" alone is complete; with a NUL after it, it is not */
    json_t *r = in.is_complete(in.self, "%echo a\0", 8);
    cr_assert_str_eq(json_string_value(json_object_get(r, "status")), "invalid");
    json_decref(r);
    r = in.is_complete(in.self, "%echo a", 7);
    cr_assert_str_eq(json_string_value(json_object_get(r, "status")), "complete");
    json_decref(r);
    r = in.evaluate(in.self, "%version\n%x\0", 12);
    cr_assert_str_eq(json_string_value(json_object_get(r, "status")), "error");
    cr_assert_str_eq(json_string_value(json_object_get(r, "ename")), "SyntaxError");
    const char *why = json_string_value(json_object_get(r, "evalue"));
    cr_assert(strstr(why, "line 2, column 3") && strstr(why, "NUL character"), "%s", why);
    json_decref(r);
}

Test(interp, completion_stops_at_a_nul)
{
    kn_interpreter in = interp_for_nul();
    json_t *r = in.complete(in.self, "%ech\0o", 6, 4);   /* cursor before the NUL */
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "matches"), 0)),
                     "%echo");
    json_decref(r);
    r = in.complete(in.self, "%ech\0%ech", 9, 9);       /* cursor past it */
    cr_assert_eq(json_array_size(json_object_get(r, "matches")), 0);
    cr_assert_eq(json_integer_value(json_object_get(r, "cursor_start")), 9);
    json_decref(r);
    r = in.inspect(in.self, "\0%echo", 6, 3, 0);
    cr_assert(json_is_false(json_object_get(r, "found")));
    json_decref(r);
}
