// Table tests of Rego semantics: each case is a policy, an input, a data document, a query and
// the expected value (compact JSON with sorted keys), "undefined", or an error substring.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/policy.h"

namespace cocoon::policy {
namespace {

struct Case {
  const char* name;
  const char* policy;  // "package test" is prepended unless the text has a package line
  const char* input;   // JSON; "" for no input
  const char* data;    // JSON; "" for {}
  const char* query;   // "" for data.test.p
  const char* want;    // JSON, "undefined", "compile_error:<substr>" or "error:<substr>"
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

const Case kCases[] = {
    // ---- scalars and literals ----
    {"int_literal", "p := 1", "", "", "", "1"},
    {"negative_literal", "p := -18", "", "", "", "-18"},
    {"float_literal", "p := 1.5", "", "", "", "1.5"},
    {"exp_literal", "p := 1e3", "", "", "", "1000"},
    {"string_escapes", R"(p := "a\"b\\c\n\u00e9\ud83d\ude00")", "", "", "",
     "\"a\\\"b\\\\c\\n\xc3\xa9\xf0\x9f\x98\x80\""},
    {"raw_string", "p := `a\\b\"c`", "", "", "", R"("a\\b\"c")"},
    {"raw_string_multiline", "p := `x\ny`", "", "", "", R"("x\ny")"},
    {"bool_null", "p := [true, false, null]", "", "", "", "[true,false,null]"},
    {"array_literal", "p := [1, \"a\", [2]]", "", "", "", R"([1,"a",[2]])"},
    {"object_literal_sorted", R"(p := {"b": 1, "a": 2})", "", "", "", R"({"a":2,"b":1})"},
    {"set_literal_dedup", "p := {3, 1, 3}", "", "", "", "[1,3]"},
    {"empty_set", "p := set()", "", "", "", "[]"},
    {"empty_object", "p := {}", "", "", "", "{}"},
    {"trailing_commas", "p := [1, 2,]", "", "", "", "[1,2]"},
    {"comments", "# comment\np := 1 # trailing\n# end", "", "", "", "1"},
    {"big_int_exact", "p := 9007199254740993", "", "", "", "9007199254740993"},
    {"huge_number_literal_double", "p := 123456789012345678901234567890", "", "", "",
     "1.2345678901234568e+29"},
    {"huge_number_out_of_range", "p := 1e999", "", "", "", "compile_error:number out of range"},
    {"object_non_string_key", "p := {1: \"a\"}", "", "", "", R"({"1":"a"})"},
    {"duplicate_literal_key", R"(p := {"a": 1, "a": 2})", "", "", "",
     "compile_error:duplicate key"},

    // ---- references ----
    {"input_dot", "p := input.a.b", R"({"a":{"b":5}})", "", "", "5"},
    {"input_bracket", R"(p := input["a-b"]["c"])", R"({"a-b":{"c":"x"}})", "", "", R"("x")"},
    {"input_array_index", "p := input.xs[1]", R"({"xs":[10,20]})", "", "", "20"},
    {"input_missing_undefined", "p := input.nope", R"({})", "", "", "undefined"},
    {"index_out_of_range", "p := input.xs[5]", R"({"xs":[1]})", "", "", "undefined"},
    {"index_into_scalar", "p := input.x.y", R"({"x":1})", "", "", "undefined"},
    {"no_input_undefined", "p := input.a", "", "", "", "undefined"},
    {"data_base_document", "p := data.reference.svn", "", R"({"reference":{"svn":["1"]}})", "",
     R"(["1"])"},
    {"data_key_with_dash", R"(p := data["resource-path"][2])", "",
     R"({"resource-path":["a","b","c"]})", "", R"("c")"},
    {"ref_dynamic_key", "p := input.m[input.k]", R"({"m":{"x":1},"k":"x"})", "", "", "1"},
    {"ref_on_literal", "p := [1, 2, 3][1]", "", "", "", "2"},
    {"set_lookup", "s := {\"a\", \"b\"}\np := s[\"a\"]", "", "", "", R"("a")"},
    {"set_lookup_missing", "s := {\"a\"}\np := s[\"z\"]", "", "", "", "undefined"},
    {"rule_ref_bare", "q := {\"x\": 1}\np := q.x", "", "", "", "1"},
    {"rule_ref_data", "q := 7\np := data.test.q", "", "", "", "7"},
    {"package_document", "a := 1\nb := \"x\"\nf(x) := x", "", "", "data.test",
     R"({"a":1,"b":"x"})"},
    {"package_document_merges_data", "a := 1", "", R"({"test":{"z":true}})", "data.test",
     R"({"a":1,"z":true})"},
    {"dotted_package", "package a.b.c\np := 1", "", "", "data.a.b.c.p", "1"},
    {"dotted_package_prefix", "package a.b\np := 1", "", "", "data.a", R"({"b":{"p":1}})"},
    {"cross_package_ref", "package lib\nx := 5", "", "", "data.lib.x", "5"},

    // ---- complete rules, defaults, undefined vs false ----
    {"bool_rule_true", "p if input.x == 1", R"({"x":1})", "", "", "true"},
    {"bool_rule_undefined", "p if input.x == 1", R"({"x":2})", "", "", "undefined"},
    {"default_false", "default p := false\np if input.x == 1", R"({"x":2})", "", "", "false"},
    {"default_overridden", "default p := false\np if input.x == 1", R"({"x":1})", "", "", "true"},
    {"default_eq_syntax", "default p = false\np = true { input.x == 1 }", R"({"x":1})", "", "",
     "true"},
    {"default_object", "default p := {\"a\": [1]}", "", "", "", R"({"a":[1]})"},
    {"default_nonconstant", "default p := input.x", "", "", "", "compile_error:constant"},
    {"multiple_defaults", "default p := 1\ndefault p := 2", "", "", "",
     "compile_error:multiple default"},
    {"false_value_fails_expr", "x := false\np if x", "", "", "", "undefined"},
    {"not_false_succeeds", "x := false\np if not x", "", "", "", "true"},
    {"not_undefined_succeeds", "p if not input.missing", R"({})", "", "", "true"},
    {"not_defined_fails", "p if not input.a", R"({"a":1})", "", "", "undefined"},
    {"zero_is_truthy", "p if input.a", R"({"a":0})", "", "", "true"},
    {"null_is_truthy", "p if input.a", R"({"a":null})", "", "", "true"},
    {"false_input_fails", "p if input.a", R"({"a":false})", "", "", "undefined"},
    {"multi_def_same_value", "p := 1 if input.a\np := 1 if input.b", R"({"a":1,"b":1})", "", "",
     "1"},
    {"conflict_error", "p := 1 if input.a\np := 2 if input.b", R"({"a":1,"b":1})", "", "",
     "error:complete rules must not produce multiple outputs"},
    {"conflict_within_body", "p := x if { x := input.xs[_] }", R"({"xs":[1,2]})", "", "",
     "error:conflicting values"},
    {"no_conflict_same_values", "p := x if { x := input.xs[_] }", R"({"xs":[1,1]})", "", "", "1"},
    {"one_branch_defined", "p := 1 if input.a\np := 2 if input.b", R"({"b":1})", "", "", "2"},
    {"value_without_body", "p := input.a", R"({"a":[1]})", "", "", "[1]"},
    {"rule_eq_without_body", "p = data.plugin", "", R"({"plugin":"resource"})", "",
     R"("resource")"},
    {"v0_body", "p { input.a == 1 }", R"({"a":1})", "", "", "true"},
    {"if_single_expr", "p if input.a > 1", R"({"a":2})", "", "", "true"},
    {"semicolons", "p if { x := 1; y := 2; x < y }", "", "", "", "true"},
    {"rule_value_from_body", "p := y if { y := input.a * 2 }", R"({"a":21})", "", "", "42"},

    // ---- else ----
    {"else_first", "p := 1 if input.a\nelse := 2 if input.b\nelse := 3", R"({"a":1,"b":1})", "", "",
     "1"},
    {"else_second", "p := 1 if input.a\nelse := 2 if input.b\nelse := 3", R"({"b":1})", "", "",
     "2"},
    {"else_last", "p := 1 if input.a\nelse := 2 if input.b\nelse := 3", R"({})", "", "", "3"},
    {"else_v0", "p = 1 { input.a } else = 2 { true }", R"({})", "", "", "2"},
    {"else_all_fail_default", "default p := 0\np := 1 if input.a\nelse := 2 if input.b", R"({})",
     "", "", "0"},
    {"else_true_value", "p if input.a\nelse := false", R"({})", "", "", "false"},
    {"else_object", "q := {\"x\": 1} if false\nelse := {}\np := q", "", "", "", "{}"},

    // ---- partial rules ----
    {"contains_set", "p contains x if { some x in input.xs; x > 1 }", R"({"xs":[1,2,3]})", "", "",
     "[2,3]"},
    {"contains_empty_is_defined", "p contains x if { some x in input.xs; x > 9 }", R"({"xs":[1]})",
     "", "", "[]"},
    {"v0_partial_set", "p[x] { x := input.xs[_] }", R"({"xs":["b","a","b"]})", "", "",
     R"(["a","b"])"},
    {"partial_set_multi_def", "p contains 1\np contains 2 if true", "", "", "", "[1,2]"},
    {"partial_object", "p[k] := v if { some k, v in input.m; v > 1 }", R"({"m":{"a":1,"b":2}})", "",
     "", R"({"b":2})"},
    {"partial_object_v0", "p[k] = v { v := input.m[k] }", R"({"m":{"a":1}})", "", "", R"({"a":1})"},
    {"partial_object_conflict", "p[k] := v if { k := \"a\"; v := input.xs[_] }", R"({"xs":[1,2]})",
     "", "", "error:object keys must be unique"},
    {"partial_set_lookup", "s contains x if { some x in [1,2] }\np if s[2]", "", "", "", "true"},
    {"partial_set_iterate", "s contains x if { some x in [1,2] }\np := [y | s[y]]", "", "", "",
     "[1,2]"},
    {"deny_messages", "deny contains msg if { input.debug; msg := \"debug on\" }\np := count(deny)",
     R"({"debug":true})", "", "", "1"},
    {"mixed_kinds_error", "p := 1\np contains 2", "", "", "", "compile_error:defined both"},

    // ---- functions ----
    {"function_basic", "f(x) := x + 1\np := f(1)", "", "", "", "2"},
    {"function_bool", "f(x) if x > 1\np if f(2)", "", "", "", "true"},
    {"function_undefined", "f(x) if x > 1\np if f(0)", "", "", "", "undefined"},
    {"function_multi_clause",
     "f(x) := \"neg\" if x < 0\nf(x) := \"pos\" if x > 0\np := [f(-1), f(1)]", "", "", "",
     R"(["neg","pos"])"},
    {"function_const_param", "f(\"a\") := 1\nf(\"b\") := 2\np := f(\"b\")", "", "", "", "2"},
    {"function_array_param", "f([a, b]) := a + b\np := f([1, 2])", "", "", "", "3"},
    {"function_conflict", "f(x) := 1 if x > 0\nf(x) := 2 if x > 1\np := f(5)", "", "", "",
     "error:functions must not produce multiple outputs"},
    {"function_else", "f(x) := 1 if x == 1\nelse := 0\np := [f(1), f(2)]", "", "", "", "[1,0]"},
    {"function_default", "default f(_) := false\nf(x) if x == 1\np := [f(1), f(2)]", "", "", "",
     "[true,false]"},
    {"function_two_args", "add(a, b) := a + b\np := add(2, 3)", "", "", "", "5"},
    {"function_wrong_arity", "f(x) := x\np := f(1, 2)", "", "", "",
     "compile_error:takes 1 arguments"},
    {"function_as_value", "f(x) := x\np := f", "", "", "", "compile_error:must be called"},
    {"function_cross_package", "package lib\ndouble(x) := x * 2", "", "", "data.lib.double(4)",
     "8"},
    {"function_import_alias", "package test\nimport data.lib\np := lib.double(3)\n", "", "", "",
     "compile_error:unknown function data.lib.double"},
    {"function_call_in_ref", "f(x) := {\"k\": x}\np := f(1).k", "", "", "", "1"},

    // ---- assignment, unification, comparison ----
    {"assign_then_use", "p if { x := 2; x == 2 }", "", "", "", "true"},
    {"assign_twice_error", "p if { x := 1; x := 2 }", "", "", "", "compile_error:assigned above"},
    {"unify_binds", "p := x if { x = 5 }", "", "", "", "5"},
    {"unify_compare", "p if { input.a = 1 }", R"({"a":1})", "", "", "true"},
    {"unify_compare_fail", "p if { input.a = 2 }", R"({"a":1})", "", "", "undefined"},
    {"unify_array", "p := [a, b] if { [a, b] = [1, 2] }", "", "", "", "[1,2]"},
    {"unify_array_against_value", "p := b if { [1, b] = input.xs }", R"({"xs":[1,7]})", "", "",
     "7"},
    {"unify_array_mismatch", "p := b if { [2, b] = input.xs }", R"({"xs":[1,7]})", "", "",
     "undefined"},
    {"assign_array_pattern", "p := b if { [a, b] := split(\"x.y\", \".\") }", "", "", "", R"("y")"},
    {"assign_object_pattern", "p := v if { {\"k\": v} := input }", R"({"k":3})", "", "", "3"},
    {"equality_types", "p := [1 == 1.0, \"1\" == 1, [1] == [1], {1} == {1}]", "", "", "",
     "[true,false,true,true]"},
    {"inequality", "p := [1 != 2, \"a\" != \"a\"]", "", "", "", "[true,false]"},
    {"ordering", "p := [1 < 2, 2 <= 2, \"b\" > \"a\", 3 >= 4]", "", "", "",
     "[true,true,true,false]"},
    {"ordering_across_types", "p := [null < false, false < 0, 0 < \"\", \"\" < [], [] < {}]", "",
     "", "", "[true,true,true,true,true]"},
    {"compare_undefined_operand", "p if input.a < 3", R"({})", "", "", "undefined"},
    {"comparison_as_value", "p := x if { x := 1 > 2 }", "", "", "", "false"},
    {"unsafe_var", "p if { x == 1 }", "", "", "", "compile_error:var x is unsafe"},
    {"unsafe_in_call", "p := count(y)", "", "", "", "compile_error:var y is unsafe"},
    {"some_declared_unbound", "p if { some x; x > 1 }", "", "", "", "compile_error:unsafe"},
    {"shadow_rule_with_local", "x := 1\np := x if { x := 2 }", "", "", "", "2"},

    // ---- arithmetic ----
    {"arith_precedence", "p := 1 + 2 * 3 - 4 / 2", "", "", "", "5"},
    {"arith_parens", "p := (1 + 2) * 3", "", "", "", "9"},
    {"division_float", "p := 3 / 2", "", "", "", "1.5"},
    {"modulo", "p := 7 % 3", "", "", "", "1"},
    {"negative_modulo", "p := -7 % 3", "", "", "", "-1"},
    {"unary_minus_var", "x := 3\np := -x", "", "", "", "-3"},
    {"div_by_zero_undefined", "p := 1 / 0", "", "", "", "undefined"},
    {"int_overflow_to_double", "p := 9223372036854775807 + 1", "", "", "", "9223372036854775808"},
    {"float_arith", "p := 0.1 + 0.2", "", "", "", "0.30000000000000004"},
    {"arith_type_error_undefined", "p := \"a\" + 1", "", "", "", "undefined"},
    {"set_ops", "a := {1, 2, 3}\nb := {2, 3, 4}\np := [a & b, a | b, a - b]", "", "", "",
     "[[2,3],[1,2,3,4],[1]]"},
    {"multiline_expression_in_parens", "p := (1 +\n 2)", "", "", "", "3"},

    // ---- some / in / every ----
    {"in_array", "p := [1 in [1, 2], 3 in [1, 2]]", "", "", "", "[true,false]"},
    {"in_set", "p := \"a\" in {\"a\"}", "", "", "", "true"},
    {"in_object_values", "p := 1 in {\"k\": 1}", "", "", "", "true"},
    {"in_undefined_collection", "p if input.x in input.missing", R"({"x":1})", "", "", "undefined"},
    {"not_in", "p if not 3 in [1, 2]", "", "", "", "true"},
    {"some_in_array", "p := [x | some x in [3, 4]]", "", "", "", "[3,4]"},
    {"some_kv_array", "p := [i | some i, x in [\"a\", \"b\"]]", "", "", "", "[0,1]"},
    {"some_kv_object", "p := {k | some k, v in {\"a\": 1, \"b\": 2}; v > 1}", "", "", "",
     R"(["b"])"},
    {"some_in_bound_filter", "p if { x := 2; some x2 in [1, 2]; x2 == x }", "", "", "", "true"},
    {"some_index", "p := [i | some i; input.xs[i] == \"b\"]", R"({"xs":["a","b","b"]})", "", "",
     "[1,2]"},
    {"some_wildcard_key", "p := [v | some _, v in {\"a\": 1}]", "", "", "", "[1]"},
    {"every_true", "p if { every x in [1, 2] { x > 0 } }", "", "", "", "true"},
    {"every_false", "p if { every x in [1, -2] { x > 0 } }", "", "", "", "undefined"},
    {"every_empty", "p if { every x in [] { x > 0 } }", "", "", "", "true"},
    {"every_kv", "p if { every k, v in {\"a\": \"a\"} { k == v } }", "", "", "", "true"},
    {"every_undefined_domain", "p if { every x in input.missing { x } }", R"({})", "", "",
     "undefined"},
    {"every_with_outer_var", "p if { m := 0; every x in [1, 2] { x > m } }", "", "", "", "true"},
    {"iterate_wildcard", "p := [x | x := input.xs[_].v]", R"({"xs":[{"v":1},{"w":2},{"v":3}]})", "",
     "", "[1,3]"},
    {"iterate_nested", "p := count([1 | input.a[_][_]])", R"({"a":[[1,2],[3]]})", "", "", "3"},
    {"iterate_object_keys", "p := {k | input.o[k]}", R"({"o":{"x":1,"y":2}})", "", "",
     R"(["x","y"])"},
    {"iterate_set", "s := {\"x\", \"y\"}\np := [v | s[v]]", "", "", "", R"(["x","y"])"},
    {"existential_any", "p if input.xs[_] == 2", R"({"xs":[1,2]})", "", "", "true"},
    {"existential_none", "p if input.xs[_] == 5", R"({"xs":[1,2]})", "", "", "undefined"},
    {"join_two_iterations", "p := [[x, y] | x := input.a[_]; y := input.b[_]; x == y]",
     R"({"a":[1,2,3],"b":[2,3,4]})", "", "", "[[2,2],[3,3]]"},

    // ---- comprehensions ----
    {"array_compr_keeps_dups", "p := [x | x := [1, 1][_]]", "", "", "", "[1,1]"},
    {"set_compr_dedups", "p := {x | x := [1, 1][_]}", "", "", "", "[1]"},
    {"object_compr", "p := {k: v | some k, v in {\"a\": 1}; v > 0}", "", "", "", R"({"a":1})"},
    {"object_compr_conflict", "p := {\"k\": v | v := [1, 2][_]}", "", "", "",
     "error:object keys must be unique"},
    {"compr_empty_is_defined", "p := [x | x := input.missing[_]]", R"({})", "", "", "[]"},
    {"nested_compr", "p := [[y | y := x[_]] | x := [[1], [2, 3]][_]]", "", "", "", "[[1],[2,3]]"},
    {"compr_multiline_body", "p := [img |\n  c := input.cs[_]\n  img := c.image\n]",
     R"({"cs":[{"image":"a"},{"image":"b"}]})", "", "", R"(["a","b"])"},
    {"compr_union_head", "p := [a | b | x := [{1}][_]; a := x; b := x]", "", "", "",
     "compile_error"},

    // ---- imports ----
    {"import_future_keywords",
     "package test\nimport future.keywords.if\nimport future.keywords.in\np if 1 in [1]", "", "",
     "", "true"},
    {"import_future_star", "package test\nimport future.keywords\np contains 1 if true", "", "", "",
     "[1]"},
    {"import_rego_v1", "package test\nimport rego.v1\np if { every x in [1] { x == 1 } }", "", "",
     "", "true"},
    {"import_input_alias", "package test\nimport input.claims as c\np := c.sub",
     R"({"claims":{"sub":"me"}})", "", "", R"("me")"},
    {"import_data_alias", "package test\nimport data.reference\np := reference.svn", "",
     R"({"reference":{"svn":2}})", "", "2"},
    {"import_input_plain", "package test\nimport input\np := input.a", R"({"a":1})", "", "", "1"},
    {"import_bad_root", "package test\nimport foo.bar\np := 1", "", "", "",
     "compile_error:unsupported import"},

    // ---- builtins: aggregates ----
    {"count_kinds", "p := [count([1, 2]), count({1}), count({\"a\": 1}), count(\"h\u00e9\")]", "",
     "", "", "[2,1,1,2]"},
    {"count_bad_type_undefined", "p := count(1)", "", "", "", "undefined"},
    {"sum_max_min", "p := [sum([1, 2.5]), max([3, 1]), min({3, 1})]", "", "", "", "[3.5,3,1]"},
    {"max_empty_undefined", "p := max([])", "", "", "", "undefined"},
    {"sort_array", "p := sort([3, \"a\", 1, null])", "", "", "", R"([null,1,3,"a"])"},
    {"product_range", "p := [product([2, 3]), numbers.range(1, 3)]", "", "", "", "[6,[1,2,3]]"},
    {"abs_round", "p := [abs(-2), round(2.5), ceil(1.2), floor(-1.2)]", "", "", "", "[2,3,2,-2]"},

    // ---- builtins: strings ----
    {"startswith_endswith_contains",
     "p := [startswith(\"abc\", \"ab\"), endswith(\"abc\", \"bc\"), contains(\"abc\", \"x\")]", "",
     "", "", "[true,true,false]"},
    {"concat_split", "p := [concat(\"/\", [\"a\", \"b\"]), split(\"a/b/c\", \"/\")]", "", "", "",
     R"(["a/b",["a","b","c"]])"},
    {"concat_set", "p := concat(\",\", {\"b\", \"a\"})", "", "", "", R"("a,b")"},
    {"split_policy5_style", "p := count(split(data[\"resource-path\"], \"/\"))", "",
     R"({"resource-path":"repo/type/tag"})", "", "3"},
    {"lower_upper", "p := [lower(\"AbC\"), upper(\"aBc\")]", "", "", "", R"(["abc","ABC"])"},
    {"trim_family",
     "p := [trim(\"xxaxx\", \"x\"), trim_left(\"xxa\", \"x\"), trim_right(\"axx\", \"x\"), "
     "trim_prefix(\"prefix-a\", \"prefix-\"), trim_suffix(\"a.rego\", \".rego\"), trim_space(\"  a "
     "\\n\")]",
     "", "", "", R"(["a","a","a","a","a","a"])"},
    {"replace", "p := replace(\"a-b-c\", \"-\", \"+\")", "", "", "", R"("a+b+c")"},
    {"substring",
     "p := [substring(\"abcdef\", 1, 3), substring(\"abc\", 1, -1), substring(\"abc\", 9, 1)]", "",
     "", "", R"(["bcd","bc",""])"},
    {"substring_negative_offset", "p := substring(\"abc\", -1, 1)", "", "", "", "undefined"},
    {"indexof", "p := [indexof(\"abcb\", \"b\"), indexof(\"abc\", \"z\")]", "", "", "", "[1,-1]"},
    {"format_int", "p := [format_int(255, 16), format_int(5.9, 10), format_int(5, 2)]", "", "", "",
     R"(["ff","5","101"])"},
    {"to_number", "p := [to_number(\"42\"), to_number(\"1.5\"), to_number(true), to_number(null)]",
     "", "", "", "[42,1.5,1,0]"},
    {"to_number_bad_undefined", "p := to_number(\"x1\")", "", "", "", "undefined"},
    {"sprintf_basic", "p := sprintf(\"%s=%d %v %v\", [\"a\", 5, [1, \"x\"], {\"k\": true}])", "",
     "", "", R"("a=5 [1, \"x\"] {\"k\": true}")"},
    {"sprintf_v_number", "p := sprintf(\"%v\", [256])", "", "", "", R"("256")"},
    {"sprintf_float_width", "p := sprintf(\"%.2f|%5d|%-3s|%x|%%\", [3.14159, 42, \"a\", 255])", "",
     "", "", R"("3.14|   42|a  |ff|%")"},
    {"sprintf_missing", "p := sprintf(\"%s %s\", [\"a\"])", "", "", "", "\"a %!s(MISSING)\""},

    // ---- builtins: types ----
    {"type_name",
     "p := [type_name(null), type_name(true), type_name(1), type_name(\"\"), type_name([]), "
     "type_name({}), type_name(set())]",
     "", "", "", R"(["null","boolean","number","string","array","object","set"])"},
    {"is_kind",
     "p := [is_number(1), is_string(1), is_boolean(false), is_array([]), is_set(set()), "
     "is_object({}), is_null(null)]",
     "", "", "", "[true,false,true,true,true,true,true]"},

    // ---- builtins: collections ----
    {"object_get",
     "p := [object.get({\"a\": 1}, \"a\", 0), object.get({}, \"a\", 0), object.get({\"a\": {\"b\": "
     "2}}, [\"a\", \"b\"], 0)]",
     "", "", "", "[1,0,2]"},
    {"object_keys", "p := object.keys({\"b\": 1, \"a\": 2})", "", "", "", R"(["a","b"])"},
    {"object_union_n", "p := object.union_n([{\"a\": {\"x\": 1}}, {\"a\": {\"y\": 2}}, {}])", "",
     "", "", R"({"a":{"x":1,"y":2}})"},
    {"object_remove_filter",
     "p := [object.remove({\"a\": 1, \"b\": 2}, [\"a\"]), object.filter({\"a\": 1, \"b\": 2}, "
     "{\"a\"})]",
     "", "", "", R"([{"b":2},{"a":1}])"},
    {"array_concat_slice",
     "p := [array.concat([1], [2]), array.slice([1, 2, 3, 4], 1, 3), array.slice([1], 5, 9)]", "",
     "", "", "[[1,2],[2,3],[]]"},
    {"union_intersection", "p := [union({{1}, {2}}), intersection({{1, 2}, {2, 3}})]", "", "", "",
     "[[1,2],[2]]"},
    {"object_subset",
     "p := [object.subset({\"a\": 1, \"b\": 2}, {\"a\": 1}), object.subset({\"a\": 1}, {\"a\": "
     "2})]",
     "", "", "", "[true,false]"},

    // ---- builtins: encodings, regex, json, crypto, semver, time ----
    {"base64_roundtrip",
     "p := [base64.encode(\"hi?\"), base64.decode(\"aGk/\"), base64url.encode(\"hi?\"), "
     "base64url.encode_no_pad(\"h\"), base64url.decode(\"aA\")]",
     "", "", "", R"(["aGk/","hi?","aGk_","aA","h"])"},
    {"base64_bad_undefined", "p := base64.decode(\"!!\")", "", "", "", "undefined"},
    {"hex_roundtrip", "p := [hex.encode(\"ab\"), hex.decode(\"6162\")]", "", "", "",
     R"(["6162","ab"])"},
    {"regex_match",
     "p := [regex.match(\"^[a-z]+-[0-9]+$\", \"abc-12\"), regex.match(\"^x\", \"abc\")]", "", "",
     "", "[true,false]"},
    {"regex_bad_pattern_undefined", "p := regex.match(\"(\", \"a\")", "", "", "", "undefined"},
    {"json_marshal", "p := json.marshal({\"b\": [1, \"<\"], \"a\": null})", "", "", "",
     R"("{\"a\":null,\"b\":[1,\"\\u003c\"]}")"},
    {"json_unmarshal", "p := json.unmarshal(\"{\\\"a\\\": [1, 2.5]}\")", "", "", "",
     R"({"a":[1,2.5]})"},
    {"json_unmarshal_bad_undefined", "p := json.unmarshal(\"{\")", "", "", "", "undefined"},
    {"sha256", "p := crypto.sha256(\"abc\")", "", "", "",
     R"("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")"},
    {"semver_compare",
     "p := [semver.compare(\"1.2.3\", \"1.10.0\"), semver.compare(\"1.0.0\", \"1.0.0-rc.1\"), "
     "semver.compare(\"2.0.0\", \"2.0.0\"), semver.is_valid(\"v1.0.0\")]",
     "", "", "", "[-1,1,0,false]"},
    {"time_parse", "p := time.parse_rfc3339_ns(\"2023-06-18T08:42:58Z\")", "", "", "",
     "1687077778000000000"},
    {"time_now_positive", "p if time.now_ns() > 1600000000000000000", "", "", "", "true"},
    {"print_is_true", "p if { print(\"hello\", input.missing) }", R"({})", "", "", "true"},
    {"unknown_builtin", "p := frobnicate(1)", "", "", "",
     "compile_error:unknown function frobnicate"},
    {"builtin_arity", "p := count(1, 2)", "", "", "", "compile_error:takes 1 arguments"},

    // ---- errors ----
    {"parse_error_location", "p := [1,", "", "", "", "compile_error:policy.rego:3:"},
    {"parse_error_unterminated_string", "p := \"abc", "", "", "",
     "compile_error:unterminated string"},
    {"parse_error_bad_char", "p := 1 ^ 2", "", "", "", "compile_error:unexpected character '^'"},
    {"missing_package", "package 1\np := 1", "", "", "", "compile_error:expected package name"},
    {"no_package_at_all", "p := 1", "", "", "", "1"},
    {"recursion_error", "a if b\nb if a\np if a", "", "", "", "compile_error:recursive"},
    {"self_recursion_function", "f(x) := f(x)\np := f(1)", "", "", "", "compile_error:recursive"},
    {"with_unsupported", "p if { input.a with input as {} }", "", "", "",
     "compile_error:'with' is not supported"},
    {"empty_body_error", "p if {}", "", "", "", "compile_error:must not be empty"},
    {"rule_named_keyword", "if := 1", "", "", "", "compile_error:expected rule name"},
    {"query_missing_rule_undefined", "x := 1", "", "", "data.test.nope", "undefined"},
    {"query_with_variable", "x := 1", "", "", "data.test[k]", "error:variables are not supported"},
    {"query_bad_syntax", "x := 1", "", "", "data.test.", "error:expected name"},
    {"strict_off_type_error", "p := upper(1)", "", "", "", "undefined"},
};

class PolicyTableTest : public ::testing::TestWithParam<Case> {};

TEST_P(PolicyTableTest, Evaluates) {
  const Case& c = GetParam();
  std::string text = c.policy;
  if (text.rfind("package", 0) != 0) text = "package test\n\n" + text;
  const std::string want = c.want;
  auto policy = Policy::Compile({{"policy.rego", text}});
  if (want.rfind("compile_error", 0) == 0) {
    ASSERT_FALSE(policy.ok()) << "policy unexpectedly compiled:\n" << text;
    if (want.size() > 14) {
      EXPECT_THAT(policy.status().message(), ::testing::HasSubstr(want.substr(14)));
    }
    return;
  }
  ASSERT_TRUE(policy.ok()) << policy.status() << "\n" << text;
  const std::string query = *c.query ? c.query : "data.test.p";
  auto got = (*policy)->Evaluate(query, c.input, c.data);
  if (want.rfind("error:", 0) == 0) {
    ASSERT_FALSE(got.ok()) << "unexpected result " << (got.ok() && *got ? **got : "undefined");
    EXPECT_THAT(got.status().message(), ::testing::HasSubstr(want.substr(6)));
    return;
  }
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->value_or("undefined"), want) << text;
}

INSTANTIATE_TEST_SUITE_P(Rego, PolicyTableTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.name);
                         });

TEST(PolicyTableTest, HasAtLeast150Cases) { EXPECT_GE(sizeof(kCases) / sizeof(kCases[0]), 150u); }

}  // namespace
}  // namespace cocoon::policy
