// Name resolution, rule grouping and static checks (unknown functions, arity, unsafe variables,
// recursion, conflicting rule kinds).
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status.h"
#include "policy/builtins.h"
#include "policy/parser.h"
#include "policy/program.h"

namespace cocoon::policy {
namespace {

class Resolver {
 public:
  Resolver(Program* prog, int pkg_node) : prog_(prog), pkg_node_(pkg_node) {}

  absl::Status AddImports(const Module& mod) {
    for (const Import& imp : mod.imports) {
      const std::string& root = imp.path[0];
      if (root == "future" || root == "rego") continue;  // keyword switches: always enabled
      if (root != "data" && root != "input") {
        return Err(imp.loc, absl::StrCat("unsupported import '", absl::StrJoin(imp.path, "."),
                                         "': imports must start with data, input, future or rego"));
      }
      std::string alias = imp.alias.empty() ? imp.path.back() : imp.alias;
      if (imp.path.size() == 1 && imp.alias.empty()) continue;  // `import input`, `import data`
      aliases_[alias] = imp.path;
    }
    return absl::OkStatus();
  }

  absl::Status ResolveRule(Rule* r) {
    slots_.clear();
    scopes_.assign(1, {});
    if (r->is_default) {
      if (!r->params.empty()) {
        for (auto& p : r->params) COCOON_RETURN_IF_ERROR(DeclarePattern(p, false));
      }
      COCOON_RETURN_IF_ERROR(ResolveTerm(r->branches[0].value, kUse));
      if (r->branches[0].value->kind != TermKind::kConst) {
        return Err(r->loc, absl::StrCat("default rule ", r->name, " must have a constant value"));
      }
      r->frame_size = static_cast<int>(slots_.size());
      return absl::OkStatus();
    }
    for (auto& p : r->params) COCOON_RETURN_IF_ERROR(DeclarePattern(p, false));
    for (size_t i = 0; i < r->branches.size(); ++i) {
      RuleBranch& br = r->branches[i];
      scopes_.emplace_back();
      COCOON_RETURN_IF_ERROR(ResolveBody(br.body));
      if (i == 0 && r->key) COCOON_RETURN_IF_ERROR(ResolveTerm(r->key, kUse));
      if (br.value) COCOON_RETURN_IF_ERROR(ResolveTerm(br.value, kUse));
      scopes_.pop_back();
    }
    r->frame_size = static_cast<int>(slots_.size());
    return CheckSafety();
  }

  absl::Status ResolveQuery(TermPtr& t) {
    slots_.clear();
    scopes_.assign(1, {});
    COCOON_RETURN_IF_ERROR(ResolveTerm(t, kUse));
    if (!slots_.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("query: variables are not supported in queries (", slots_[0].name, ")"));
    }
    return absl::OkStatus();
  }

 private:
  enum Mode { kUse, kBind };
  struct SlotInfo {
    std::string name;
    Loc loc;
    bool bindable = false;
    bool used = false;
  };

  absl::Status Err(const Loc& loc, absl::string_view msg) const {
    if (loc.file < 0) return absl::InvalidArgumentError(absl::StrCat("query: ", msg));
    return absl::InvalidArgumentError(absl::StrCat(prog_->Where(loc), ": ", msg));
  }

  int Lookup(const std::string& name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      if (auto f = it->find(name); f != it->end()) return f->second;
    }
    return -1;
  }

  int Declare(const std::string& name, Loc loc, bool bindable) {
    const int slot = static_cast<int>(slots_.size());
    slots_.push_back(SlotInfo{name.empty() ? "_" : name, loc, bindable, true});
    if (!name.empty()) scopes_.back()[name] = slot;
    return slot;
  }

  void MakeLocal(Term& t, int slot) {
    t.kind = TermKind::kLocal;
    t.index = slot;
  }

  const PackageNode* Pkg() const { return pkg_node_ >= 0 ? &prog_->nodes[pkg_node_] : nullptr; }

  int PkgRule(const std::string& name) const {
    const PackageNode* p = Pkg();
    if (!p) return -1;
    auto it = p->rules.find(name);
    return it == p->rules.end() ? -1 : it->second;
  }

  TermPtr ConstString(const std::string& s, Loc loc) {
    auto t = std::make_unique<Term>();
    t->kind = TermKind::kConst;
    t->loc = loc;
    t->value = Value::String(s);
    t->ground = true;
    return t;
  }

  // Rewrites a variable or reference head that names an import alias into the imported path.
  void ExpandAlias(TermPtr& t, const std::vector<std::string>& path) {
    if (t->kind == TermKind::kVar) {
      const Loc loc = t->loc;
      if (path.size() == 1) {
        t->name = path[0];
        return;
      }
      auto ref = std::make_unique<Term>();
      ref->kind = TermKind::kRef;
      ref->loc = loc;
      auto head = std::make_unique<Term>();
      head->kind = TermKind::kVar;
      head->loc = loc;
      head->name = path[0];
      ref->items.push_back(std::move(head));
      for (size_t i = 1; i < path.size(); ++i) ref->items.push_back(ConstString(path[i], loc));
      t = std::move(ref);
      return;
    }
    // A reference: replace the head and splice the rest of the path before the operands.
    Term& head = *t->items[0];
    head.name = path[0];
    std::vector<TermPtr> ops;
    for (size_t i = 1; i < path.size(); ++i) ops.push_back(ConstString(path[i], head.loc));
    t->items.insert(t->items.begin() + 1, std::make_move_iterator(ops.begin()),
                    std::make_move_iterator(ops.end()));
  }

  absl::Status RuleAsValue(Term& t, int group) {
    if (prog_->groups[group].kind == RuleKind::kFunction) {
      return Err(t.loc, absl::StrCat("function ", prog_->groups[group].path,
                                     " must be called with arguments"));
    }
    t.kind = TermKind::kRule;
    t.index = group;
    return absl::OkStatus();
  }

  // Resolves a reference rooted at `data`: rules and packages become kRule / kVirtual heads,
  // anything else is plain base data.
  absl::Status ResolveDataRef(TermPtr& t) {
    int node = 0;
    size_t i = 1;
    Term& head = *t->items[0];
    while (i < t->items.size() && t->items[i]->kind == TermKind::kConst &&
           t->items[i]->value.is_string()) {
      const std::string& s = t->items[i]->value.str();
      const PackageNode& n = prog_->nodes[node];
      if (auto r = n.rules.find(s); r != n.rules.end()) {
        COCOON_RETURN_IF_ERROR(RuleAsValue(head, r->second));
        t->items.erase(t->items.begin() + 1, t->items.begin() + static_cast<ptrdiff_t>(i) + 1);
        return absl::OkStatus();
      }
      if (auto c = n.children.find(s); c != n.children.end()) {
        node = c->second;
        ++i;
        continue;
      }
      head.kind = TermKind::kData;
      return absl::OkStatus();
    }
    head.kind = TermKind::kVirtual;
    head.index = node;
    t->items.erase(t->items.begin() + 1, t->items.begin() + static_cast<ptrdiff_t>(i));
    return absl::OkStatus();
  }

  absl::Status ResolveVarName(TermPtr& t, Mode m) {
    Term& v = *t;
    if (v.name == "_") {
      MakeLocal(v, Declare("", v.loc, m == kBind));
      return absl::OkStatus();
    }
    if (int slot = Lookup(v.name); slot >= 0) {
      if (m == kBind) slots_[slot].bindable = true;
      slots_[slot].used = true;
      MakeLocal(v, slot);
      return absl::OkStatus();
    }
    if (auto a = aliases_.find(v.name); a != aliases_.end()) {
      ExpandAlias(t, a->second);
      if (t->kind == TermKind::kRef) return ResolveRef(t, m);
      return ResolveVarName(t, m);
    }
    if (v.name == "input") {
      v.kind = TermKind::kInput;
      return absl::OkStatus();
    }
    if (v.name == "data") {
      v.kind = TermKind::kVirtual;
      v.index = 0;
      return absl::OkStatus();
    }
    if (int g = PkgRule(v.name); g >= 0) return RuleAsValue(v, g);
    MakeLocal(v, Declare(v.name, v.loc, m == kBind));
    return absl::OkStatus();
  }

  absl::Status ResolveRef(TermPtr& t, Mode) {
    Term& head = *t->items[0];
    if (head.kind == TermKind::kVar) {
      if (head.name == "data" && Lookup("data") < 0) {
        COCOON_RETURN_IF_ERROR(ResolveDataRef(t));
      } else if (Lookup(head.name) < 0 && aliases_.count(head.name)) {
        ExpandAlias(t, aliases_[head.name]);
        return ResolveRef(t, kUse);
      } else {
        COCOON_RETURN_IF_ERROR(ResolveVarName(t->items[0], kUse));
      }
    } else {
      COCOON_RETURN_IF_ERROR(ResolveTerm(t->items[0], kUse));
    }
    for (size_t i = 1; i < t->items.size(); ++i) {
      const bool var = t->items[i]->kind == TermKind::kVar;
      COCOON_RETURN_IF_ERROR(ResolveTerm(t->items[i], var ? kBind : kUse));
    }
    if (t->items.size() == 1) {
      TermPtr head_only = std::move(t->items[0]);
      t = std::move(head_only);
    }
    return absl::OkStatus();
  }

  absl::Status ResolveCall(Term& t) {
    std::vector<std::string> segs = absl::StrSplit(t.name, '.');
    if (Lookup(segs[0]) < 0) {
      if (auto a = aliases_.find(segs[0]); a != aliases_.end()) {
        std::vector<std::string> full = a->second;
        full.insert(full.end(), segs.begin() + 1, segs.end());
        segs = std::move(full);
      }
    }
    const std::string display = absl::StrJoin(segs, ".");
    int group = -1;
    if (segs[0] == "data" && segs.size() >= 2) {
      int node = 0;
      for (size_t i = 1; i + 1 < segs.size() && node >= 0; ++i) {
        auto c = prog_->nodes[node].children.find(segs[i]);
        node = c == prog_->nodes[node].children.end() ? -1 : c->second;
      }
      if (node >= 0) {
        auto r = prog_->nodes[node].rules.find(segs.back());
        if (r != prog_->nodes[node].rules.end()) group = r->second;
      }
      if (group < 0) return Err(t.loc, absl::StrCat("unknown function ", display));
    } else if (segs.size() == 1) {
      group = PkgRule(segs[0]);
    }
    const size_t nargs = t.items.size();
    if (group >= 0) {
      const RuleGroup& g = prog_->groups[group];
      if (g.kind != RuleKind::kFunction) {
        return Err(t.loc, absl::StrCat(g.path, " is a rule, not a function"));
      }
      if (g.arity != nargs) {
        return Err(t.loc, absl::StrCat("function ", g.path, " takes ", g.arity, " arguments, got ",
                                       nargs));
      }
      t.call = CallKind::kFunction;
      t.index = group;
    } else if (int b = FindBuiltin(display); b >= 0) {
      const BuiltinInfo& info = GetBuiltin(b);
      if (static_cast<int>(nargs) < info.min_args ||
          (info.max_args >= 0 && static_cast<int>(nargs) > info.max_args)) {
        return Err(t.loc, absl::StrCat("builtin ", display, " takes ",
                                       info.min_args == info.max_args
                                           ? absl::StrCat(info.min_args)
                                           : absl::StrCat(info.min_args, " or more"),
                                       " arguments, got ", nargs));
      }
      t.call = CallKind::kBuiltin;
      t.index = b;
    } else {
      int c = -1;
      for (size_t i = 0; i < prog_->custom.size(); ++i) {
        if (prog_->custom[i].name == display) c = static_cast<int>(i);
      }
      if (c < 0) return Err(t.loc, absl::StrCat("unknown function ", display));
      if (prog_->custom[c].arity != static_cast<int>(nargs)) {
        return Err(t.loc, absl::StrCat("function ", display, " takes ", prog_->custom[c].arity,
                                       " arguments, got ", nargs));
      }
      t.call = CallKind::kCustom;
      t.index = c;
    }
    t.name = display;
    for (auto& a : t.items) COCOON_RETURN_IF_ERROR(ResolveTerm(a, kUse));
    return absl::OkStatus();
  }

  // Folds composite literals whose parts are all constant into one constant.
  absl::Status Fold(Term& t) {
    for (const auto& it : t.items) {
      if (it->kind != TermKind::kConst) return absl::OkStatus();
    }
    if (t.kind == TermKind::kArray) {
      std::vector<Value> v;
      for (const auto& it : t.items) v.push_back(it->value);
      t.value = Value::Array(std::move(v));
    } else if (t.kind == TermKind::kSet) {
      std::vector<Value> v;
      for (const auto& it : t.items) v.push_back(it->value);
      t.value = Value::Set(std::move(v));
    } else {
      std::vector<Value::Item> v;
      for (size_t i = 0; i + 1 < t.items.size(); i += 2) {
        v.emplace_back(t.items[i]->value, t.items[i + 1]->value);
      }
      std::vector<Value::Item> sorted = v;
      std::stable_sort(
          sorted.begin(), sorted.end(),
          [](const Value::Item& a, const Value::Item& b) { return a.first < b.first; });
      for (size_t i = 1; i < sorted.size(); ++i) {
        if (sorted[i].first == sorted[i - 1].first && sorted[i].second != sorted[i - 1].second) {
          return Err(t.loc, absl::StrCat("duplicate key ", sorted[i].first.ToRego(), " in object"));
        }
      }
      t.value = Value::Object(std::move(v));
    }
    t.kind = TermKind::kConst;
    t.ground = true;
    t.items.clear();
    return absl::OkStatus();
  }

  absl::Status ResolveTerm(TermPtr& t, Mode m) {
    switch (t->kind) {
      case TermKind::kConst:
        return absl::OkStatus();
      case TermKind::kVar:
        return ResolveVarName(t, m);
      case TermKind::kRef:
        return ResolveRef(t, m);
      case TermKind::kCall:
        return ResolveCall(*t);
      case TermKind::kArray:
      case TermKind::kSet:
        for (auto& it : t->items) COCOON_RETURN_IF_ERROR(ResolveTerm(it, m));
        return Fold(*t);
      case TermKind::kObject:
        for (size_t i = 0; i < t->items.size(); ++i) {
          COCOON_RETURN_IF_ERROR(ResolveTerm(t->items[i], i % 2 == 0 ? kUse : m));
        }
        return Fold(*t);
      case TermKind::kArrayCompr:
      case TermKind::kSetCompr:
      case TermKind::kObjectCompr: {
        scopes_.emplace_back();
        COCOON_RETURN_IF_ERROR(ResolveBody(*t->body));
        for (auto& it : t->items) COCOON_RETURN_IF_ERROR(ResolveTerm(it, kUse));
        scopes_.pop_back();
        return absl::OkStatus();
      }
      case TermKind::kMember:
      case TermKind::kMemberKV:
        for (auto& it : t->items) COCOON_RETURN_IF_ERROR(ResolveTerm(it, kUse));
        return absl::OkStatus();
      default:
        return Err(t->loc, "internal error: term resolved twice");
    }
  }

  // Declares the variables of an assignment or iteration pattern as new locals.
  absl::Status DeclarePattern(TermPtr& t, bool check_redeclare) {
    switch (t->kind) {
      case TermKind::kVar: {
        if (t->name == "_") {
          MakeLocal(*t, Declare("", t->loc, true));
          return absl::OkStatus();
        }
        if (check_redeclare && scopes_.back().count(t->name)) {
          return Err(t->loc, absl::StrCat("var ", t->name, " assigned above"));
        }
        if (t->name == "input" || t->name == "data") {
          return Err(t->loc, absl::StrCat("cannot assign to ", t->name));
        }
        MakeLocal(*t, Declare(t->name, t->loc, true));
        return absl::OkStatus();
      }
      case TermKind::kConst:
        return absl::OkStatus();
      case TermKind::kArray:
        for (auto& it : t->items) COCOON_RETURN_IF_ERROR(DeclarePattern(it, check_redeclare));
        return Fold(*t);
      case TermKind::kObject:
        for (size_t i = 0; i < t->items.size(); ++i) {
          if (i % 2 == 0) {
            COCOON_RETURN_IF_ERROR(ResolveTerm(t->items[i], kUse));
          } else {
            COCOON_RETURN_IF_ERROR(DeclarePattern(t->items[i], check_redeclare));
          }
        }
        return Fold(*t);
      default:
        return Err(t->loc, "cannot assign to this expression; expected a variable or pattern");
    }
  }

  absl::Status ResolveExpr(Expr& e) {
    switch (e.kind) {
      case ExprKind::kTerm:
        return ResolveTerm(e.a, kUse);
      case ExprKind::kAssign:
        COCOON_RETURN_IF_ERROR(ResolveTerm(e.b, kUse));
        return DeclarePattern(e.a, true);
      case ExprKind::kUnify:
        COCOON_RETURN_IF_ERROR(ResolveTerm(e.a, kBind));
        return ResolveTerm(e.b, kBind);
      case ExprKind::kNot: {
        scopes_.emplace_back();
        absl::Status st = ResolveExpr(*e.inner);
        scopes_.pop_back();
        return st;
      }
      case ExprKind::kSomeDecl:
        for (const auto& n : e.names) Declare(n, e.loc, false);
        // A declared name is "used" only once something refers to it.
        for (size_t i = slots_.size() - e.names.size(); i < slots_.size(); ++i) {
          slots_[i].used = false;
        }
        return absl::OkStatus();
      case ExprKind::kSomeIn:
        COCOON_RETURN_IF_ERROR(ResolveTerm(e.c, kUse));
        if (e.a) COCOON_RETURN_IF_ERROR(DeclarePattern(e.a, false));
        return DeclarePattern(e.b, false);
      case ExprKind::kEvery: {
        COCOON_RETURN_IF_ERROR(ResolveTerm(e.c, kUse));
        scopes_.emplace_back();
        if (e.a) COCOON_RETURN_IF_ERROR(DeclarePattern(e.a, false));
        COCOON_RETURN_IF_ERROR(DeclarePattern(e.b, false));
        absl::Status st = ResolveBody(*e.body);
        scopes_.pop_back();
        return st;
      }
    }
    return absl::OkStatus();
  }

  absl::Status ResolveBody(Body& b) {
    for (Expr& e : b.exprs) COCOON_RETURN_IF_ERROR(ResolveExpr(e));
    return absl::OkStatus();
  }

  absl::Status CheckSafety() {
    for (const SlotInfo& s : slots_) {
      if (s.used && !s.bindable) {
        return Err(s.loc, absl::StrCat("var ", s.name, " is unsafe (it is never bound)"));
      }
    }
    return absl::OkStatus();
  }

  Program* prog_;
  int pkg_node_;
  std::map<std::string, std::vector<std::string>> aliases_;
  std::vector<std::map<std::string, int>> scopes_;
  std::vector<SlotInfo> slots_;
};

// Adds `term`'s rule dependencies to `out`.
void CollectDeps(const Program& prog, const Term& t, std::vector<int>* out);

void CollectGroupsUnder(const Program& prog, int node, std::vector<int>* out) {
  for (const auto& [name, g] : prog.nodes[node].rules) out->push_back(g);
  for (const auto& [name, c] : prog.nodes[node].children) CollectGroupsUnder(prog, c, out);
}

void CollectBodyDeps(const Program& prog, const Body& b, std::vector<int>* out) {
  for (const Expr& e : b.exprs) {
    for (const Term* t : {e.a.get(), e.b.get(), e.c.get()}) {
      if (t) CollectDeps(prog, *t, out);
    }
    if (e.inner) {
      // `not` wraps a single expression; walk it without copying the tree.
      const Expr* x = e.inner.get();
      for (const Term* t : {x->a.get(), x->b.get(), x->c.get()}) {
        if (t) CollectDeps(prog, *t, out);
      }
    }
    if (e.body) CollectBodyDeps(prog, *e.body, out);
  }
}

void CollectDeps(const Program& prog, const Term& t, std::vector<int>* out) {
  if (t.kind == TermKind::kRule) out->push_back(t.index);
  if (t.kind == TermKind::kVirtual) CollectGroupsUnder(prog, t.index, out);
  if (t.kind == TermKind::kCall && t.call == CallKind::kFunction) out->push_back(t.index);
  for (const auto& it : t.items) CollectDeps(prog, *it, out);
  if (t.body) CollectBodyDeps(prog, *t.body, out);
}

absl::Status CheckRecursion(const Program& prog) {
  const size_t n = prog.groups.size();
  std::vector<std::vector<int>> deps(n);
  for (size_t g = 0; g < n; ++g) {
    std::vector<const Rule*> rules = prog.groups[g].defs;
    if (prog.groups[g].default_rule) rules.push_back(prog.groups[g].default_rule);
    for (const Rule* r : rules) {
      for (const auto& p : r->params) CollectDeps(prog, *p, &deps[g]);
      if (r->key) CollectDeps(prog, *r->key, &deps[g]);
      for (const RuleBranch& br : r->branches) {
        if (br.value) CollectDeps(prog, *br.value, &deps[g]);
        CollectBodyDeps(prog, br.body, &deps[g]);
      }
    }
    std::sort(deps[g].begin(), deps[g].end());
    deps[g].erase(std::unique(deps[g].begin(), deps[g].end()), deps[g].end());
  }
  // Iterative depth-first search, so a long chain of rules cannot exhaust the stack here.
  std::vector<uint8_t> color(n, 0);  // 0 new, 1 on the stack, 2 done
  for (size_t start = 0; start < n; ++start) {
    if (color[start]) continue;
    std::vector<std::pair<int, size_t>> stack{{static_cast<int>(start), 0}};
    color[start] = 1;
    while (!stack.empty()) {
      auto& [g, next] = stack.back();
      if (next < deps[g].size()) {
        const int d = deps[g][next++];
        if (color[d] == 1) {
          std::vector<std::string> cycle;
          bool in = false;
          for (const auto& [s, unused] : stack) {
            if (s == d) in = true;
            if (in) cycle.push_back(prog.groups[s].path);
          }
          cycle.push_back(prog.groups[d].path);
          return absl::InvalidArgumentError(
              absl::StrCat(prog.Where(prog.groups[d].loc), ": rule ", prog.groups[d].path,
                           " is recursive: ", absl::StrJoin(cycle, " -> ")));
        }
        if (color[d] == 0) {
          color[d] = 1;
          stack.emplace_back(d, 0);
        }
      } else {
        color[g] = 2;
        stack.pop_back();
      }
    }
  }
  return absl::OkStatus();
}

int EnsureNode(Program* prog, const std::vector<std::string>& path) {
  int node = 0;
  for (size_t i = 0; i < path.size(); ++i) {
    auto it = prog->nodes[node].children.find(path[i]);
    if (it != prog->nodes[node].children.end()) {
      node = it->second;
      continue;
    }
    PackageNode child;
    child.path.assign(path.begin(), path.begin() + static_cast<ptrdiff_t>(i) + 1);
    prog->nodes.push_back(std::move(child));
    const int id = static_cast<int>(prog->nodes.size()) - 1;
    prog->nodes[node].children[path[i]] = id;
    node = id;
  }
  return node;
}

const char* KindWord(RuleKind k) {
  switch (k) {
    case RuleKind::kComplete:
      return "complete rule";
    case RuleKind::kPartialSet:
      return "partial set rule";
    case RuleKind::kPartialObject:
      return "partial object rule";
    case RuleKind::kFunction:
      return "function";
  }
  return "rule";
}

}  // namespace

std::string Program::Where(const Loc& loc) const {
  const std::string& file =
      loc.file >= 0 && static_cast<size_t>(loc.file) < files.size() ? files[loc.file] : "query";
  return absl::StrCat(file, ":", loc.line, ":", loc.col);
}

absl::StatusOr<std::unique_ptr<Program>> CompileProgram(
    std::vector<std::pair<std::string, std::string>> sources, std::vector<CustomDecl> custom,
    const CompileLimits& limits) {
  auto prog = std::make_unique<Program>();
  prog->custom = std::move(custom);
  prog->nodes.emplace_back();
  ParseLimits pl;
  pl.max_depth = limits.max_depth;
  for (size_t i = 0; i < sources.size(); ++i) {
    prog->files.push_back(sources[i].first);
    auto mod = ParseModule(sources[i].second, static_cast<int>(i), sources[i].first, pl);
    if (!mod.ok()) return mod.status();
    prog->modules.push_back(std::move(*mod));
  }
  std::vector<int> module_node;
  for (const auto& mod : prog->modules) {
    const int node = EnsureNode(prog.get(), mod->package);
    module_node.push_back(node);
    for (const auto& rule : mod->rules) {
      auto& rules = prog->nodes[node].rules;
      int g;
      const RuleKind kind = rule->params.empty() ? rule->kind : RuleKind::kFunction;
      if (auto it = rules.find(rule->name); it != rules.end()) {
        g = it->second;
        RuleGroup& group = prog->groups[g];
        if (group.kind != kind) {
          return absl::InvalidArgumentError(
              absl::StrCat(prog->Where(rule->loc), ": ", rule->name, " is defined both as a ",
                           KindWord(group.kind), " and as a ", KindWord(kind)));
        }
        if (kind == RuleKind::kFunction && group.arity != rule->params.size()) {
          return absl::InvalidArgumentError(
              absl::StrCat(prog->Where(rule->loc), ": function ", group.path,
                           " is defined with different numbers of arguments"));
        }
      } else {
        RuleGroup group;
        group.path = absl::StrCat("data.", absl::StrJoin(mod->package, "."), ".", rule->name);
        group.kind = kind;
        group.arity = rule->params.size();
        group.loc = rule->loc;
        prog->groups.push_back(std::move(group));
        g = static_cast<int>(prog->groups.size()) - 1;
        rules[rule->name] = g;
      }
      RuleGroup& group = prog->groups[g];
      if (rule->is_default) {
        if (group.default_rule) {
          return absl::InvalidArgumentError(
              absl::StrCat(prog->Where(rule->loc), ": multiple default rules for ", group.path));
        }
        group.default_rule = rule.get();
      } else {
        group.defs.push_back(rule.get());
      }
    }
  }
  for (const PackageNode& n : prog->nodes) {
    for (const auto& [name, g] : n.rules) {
      if (n.children.count(name)) {
        return absl::InvalidArgumentError(
            absl::StrCat(prog->Where(prog->groups[g].loc), ": rule ", prog->groups[g].path,
                         " conflicts with a package of the same name"));
      }
    }
  }
  for (size_t i = 0; i < prog->modules.size(); ++i) {
    Resolver res(prog.get(), module_node[i]);
    COCOON_RETURN_IF_ERROR(res.AddImports(*prog->modules[i]));
    for (auto& rule : prog->modules[i]->rules) COCOON_RETURN_IF_ERROR(res.ResolveRule(rule.get()));
  }
  COCOON_RETURN_IF_ERROR(CheckRecursion(*prog));
  return prog;
}

absl::StatusOr<TermPtr> CompileQuery(const Program& program, absl::string_view text,
                                     const CompileLimits& limits) {
  ParseLimits pl;
  pl.max_depth = limits.max_depth;
  auto term = ParseQuery(text, pl);
  if (!term.ok()) return term.status();
  // The resolver only reads the program (the package tree and groups) for a query.
  Resolver res(const_cast<Program*>(&program), -1);
  COCOON_RETURN_IF_ERROR(res.ResolveQuery(*term));
  return term;
}

}  // namespace cocoon::policy
