// The syntax tree of Rego modules, shared by the parser, the compiler and the evaluator.
//
// The parser produces names (kVar, dotted call names); the compiler resolves them in place to
// frame slots, rule groups, builtins and document roots, after which the tree is immutable and
// read concurrently by evaluations.
#ifndef COCOON_POLICY_AST_H_
#define COCOON_POLICY_AST_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "policy/value.h"

namespace cocoon::policy {

struct Loc {
  int file = 0;
  int line = 0;
  int col = 0;
};

enum class TermKind : uint8_t {
  kConst,        // value
  kVar,          // unresolved name (parser output only)
  kLocal,        // frame slot `index`
  kRef,          // items[0] is the head, items[1..] the operands
  kCall,         // `name`, arguments in items; resolved to `call` + `index`
  kArray,        // items
  kSet,          // items
  kObject,       // items: key, value, key, value, ...
  kArrayCompr,   // items[0] head, body
  kSetCompr,     // items[0] head, body
  kObjectCompr,  // items[0] key, items[1] value, body
  kInput,        // the input document
  kData,         // the base data document (no rules below it)
  kRule,         // the value of rule group `index`
  kVirtual,      // the virtual document at package tree node `index`
  kMember,       // `items[0] in items[1]`
  kMemberKV,     // `items[0], items[1] in items[2]`
};

enum class CallKind : uint8_t { kUnresolved, kBuiltin, kFunction, kCustom };

struct Body;

struct Term {
  TermKind kind = TermKind::kConst;
  Loc loc;
  Value value;
  std::string name;
  int index = -1;
  CallKind call = CallKind::kUnresolved;
  std::vector<std::unique_ptr<Term>> items;
  std::unique_ptr<Body> body;
  // True when the term contains no locals, refs or calls and so was folded into `value`.
  bool ground = false;
};
using TermPtr = std::unique_ptr<Term>;

enum class ExprKind : uint8_t {
  kTerm,      // a: the expression is satisfied when `a` is defined and not false
  kAssign,    // a := b (a is a pattern of new locals)
  kUnify,     // a = b
  kNot,       // not inner
  kSomeDecl,  // some x, y (declaration only)
  kSomeIn,    // some [a,] b in c
  kEvery,     // every [a,] b in c { body }
};

struct Expr {
  ExprKind kind = ExprKind::kTerm;
  Loc loc;
  TermPtr a, b, c;
  std::unique_ptr<Expr> inner;
  std::unique_ptr<Body> body;
  std::vector<std::string> names;
};

struct Body {
  std::vector<Expr> exprs;
};

enum class RuleKind : uint8_t { kComplete, kPartialSet, kPartialObject, kFunction };

struct RuleBranch {
  Loc loc;
  TermPtr value;  // null means `true`
  Body body;      // empty means unconditional
};

struct Rule {
  Loc loc;
  std::string name;
  RuleKind kind = RuleKind::kComplete;
  bool is_default = false;
  std::vector<TermPtr> params;       // functions
  TermPtr key;                       // partial set element or partial object key
  std::vector<RuleBranch> branches;  // the rule, then its `else` branches in order
  int frame_size = 0;
};

struct Import {
  Loc loc;
  std::vector<std::string> path;  // e.g. {"data", "lib", "x"}; {"future", "keywords", "if"}
  std::string alias;
};

struct Module {
  int file = 0;
  Loc package_loc;
  std::vector<std::string> package;  // without the leading "data"
  std::vector<Import> imports;
  std::vector<std::unique_ptr<Rule>> rules;
};

}  // namespace cocoon::policy

#endif  // COCOON_POLICY_AST_H_
