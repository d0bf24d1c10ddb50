#include "policy/eval.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"

namespace cocoon::policy {
namespace {

// Evaluation is written in continuation-passing style: a producer calls its continuation once
// per solution, with variables bound for the duration of the call, and undoes the bindings
// when it returns. Every function returns false to stop the search, either because an error
// was recorded in err_ or because a caller asked for early exit (the two are told apart by
// err_); true means "continue backtracking".
using Cont = absl::FunctionRef<bool()>;
using VCont = absl::FunctionRef<bool(const Value&)>;
using Frame = Value*;
using Args = absl::InlinedVector<Value, 4>;
using FrameStorage = absl::InlinedVector<Value, 8>;

class Evaluator {
 public:
  Evaluator(const Program& prog, const Value& input, const Value& data, const EvalOptions& opts,
            RegexCache* regex)
      : prog_(prog),
        input_(input),
        data_(data),
        opts_(opts),
        cache_(prog.groups.size()),
        state_(prog.groups.size(), kNew) {
    ctx_.regex = regex;
    ctx_.max_string_bytes = opts.max_string_bytes;
    ctx_.max_memory_bytes = opts.max_memory_bytes;
    ctx_.max_json_depth = opts.max_json_depth;
    ctx_.clock = opts.now_ns;
    print_builtin_ = FindBuiltin("print");
  }

  absl::StatusOr<Value> Run(const Term& query) {
    stack_base_ = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    deadline_ = std::chrono::steady_clock::now() + opts_.timeout;
    Value result;
    EvalTerm(query, nullptr, [&](const Value& v) {
      if (result.is_undefined()) {
        result = v;
        return true;
      }
      if (result != v) return Fail(Err(query.loc, "query produced more than one value"));
      return true;
    });
    if (!err_.ok()) return err_;
    return result;
  }

 private:
  enum State : uint8_t { kNew, kBusy, kDone };

  absl::Status Err(const Loc& loc, absl::string_view msg) const {
    if (loc.file < 0) return absl::InvalidArgumentError(absl::StrCat("query: ", msg));
    return absl::InvalidArgumentError(absl::StrCat(prog_.Where(loc), ": ", msg));
  }

  bool Fail(absl::Status st) {
    if (err_.ok()) err_ = std::move(st);
    return false;
  }

  bool Step() {
    if (++steps_ > opts_.max_steps) {
      return Fail(absl::ResourceExhaustedError(
          absl::StrCat("evaluation exceeded the step limit (", opts_.max_steps, ")")));
    }
    if ((steps_ & 255) == 0 && std::chrono::steady_clock::now() > deadline_) {
      return Fail(absl::DeadlineExceededError("evaluation exceeded its time limit"));
    }
    const auto here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    if (stack_base_ > here && stack_base_ - here > opts_.max_stack_bytes) {
      return Fail(absl::ResourceExhaustedError("evaluation nested too deeply (stack limit)"));
    }
    return true;
  }

  bool Charge(size_t bytes) {
    if (auto st = ctx_.Charge(bytes); !st.ok()) return Fail(st);
    return true;
  }

  static bool Bind(Frame f, int slot, const Value& v, Cont k) {
    f[slot] = v;
    const bool r = k();
    f[slot] = Value();
    return r;
  }

  // ---- bodies and expressions -----------------------------------------------------------

  bool EvalBody(const Body& b, size_t i, Frame f, Cont k) {
    if (i == b.exprs.size()) return k();
    return EvalExpr(b.exprs[i], f, [&] { return EvalBody(b, i + 1, f, k); });
  }

  bool EvalExpr(const Expr& e, Frame f, Cont k) {
    if (!Step()) return false;
    switch (e.kind) {
      case ExprKind::kTerm:
        return EvalTerm(*e.a, f, [&](const Value& v) { return v.is_false() ? true : k(); });
      case ExprKind::kAssign:
      case ExprKind::kUnify:
        return Unify(*e.a, *e.b, f, k);
      case ExprKind::kNot: {
        bool found = false;
        EvalExpr(*e.inner, f, [&] {
          found = true;
          return false;
        });
        if (!err_.ok()) return false;
        return found ? true : k();
      }
      case ExprKind::kSomeDecl:
        return k();
      case ExprKind::kSomeIn:
        return EvalTerm(*e.c, f, [&](const Value& coll) {
          return ForEach(coll, [&](const Value& key, const Value& val) {
            return UnifyValue(*e.b, val, f,
                              [&] { return e.a ? UnifyValue(*e.a, key, f, k) : k(); });
          });
        });
      case ExprKind::kEvery:
        return EvalTerm(*e.c, f, [&](const Value& coll) {
          bool all = true;
          const bool go = ForEach(coll, [&](const Value& key, const Value& val) {
            bool ok = false;
            auto body = [&] {
              EvalBody(*e.body, 0, f, [&] {
                ok = true;
                return false;
              });
              return false;
            };
            UnifyValue(*e.b, val, f, [&] { return e.a ? UnifyValue(*e.a, key, f, body) : body(); });
            if (!err_.ok()) return false;
            if (!ok) all = false;
            return ok;
          });
          if (!err_.ok()) return false;
          (void)go;
          return all ? k() : true;
        });
    }
    return true;
  }

  // Calls `k(key, value)` for each member of a collection; scalars have none.
  template <typename F>
  bool ForEach(const Value& coll, F&& k) {
    switch (coll.kind()) {
      case Value::Kind::kArray: {
        const auto& e = coll.elems();
        for (size_t i = 0; i < e.size(); ++i) {
          if (!Step() || !k(Value::Int(static_cast<int64_t>(i)), e[i])) return false;
        }
        return true;
      }
      case Value::Kind::kSet:
        for (const Value& x : coll.elems()) {
          if (!Step() || !k(x, x)) return false;
        }
        return true;
      case Value::Kind::kObject:
        for (const auto& [key, val] : coll.items()) {
          if (!Step() || !k(key, val)) return false;
        }
        return true;
      default:
        return true;
    }
  }

  // ---- unification ------------------------------------------------------------------------

  static bool IsUnboundLocal(const Term& t, Frame f) {
    return t.kind == TermKind::kLocal && f[t.index].is_undefined();
  }

  static bool HasUnbound(const Term& t, Frame f) {
    if (t.kind == TermKind::kLocal) return f[t.index].is_undefined();
    if (t.kind == TermKind::kArray) {
      for (const auto& it : t.items) {
        if (HasUnbound(*it, f)) return true;
      }
    }
    if (t.kind == TermKind::kObject) {
      for (size_t i = 1; i < t.items.size(); i += 2) {
        if (HasUnbound(*t.items[i], f)) return true;
      }
    }
    return false;
  }

  bool Unify(const Term& a, const Term& b, Frame f, Cont k) {
    if (IsUnboundLocal(a, f)) {
      return EvalTerm(b, f, [&](const Value& v) { return Bind(f, a.index, v, k); });
    }
    if (IsUnboundLocal(b, f)) {
      return EvalTerm(a, f, [&](const Value& v) { return Bind(f, b.index, v, k); });
    }
    if (a.kind == TermKind::kArray && b.kind == TermKind::kArray) {
      if (a.items.size() != b.items.size()) return true;
      return UnifyPairs(a, b, 0, f, k);
    }
    if (HasUnbound(a, f)) {
      return EvalTerm(b, f, [&](const Value& v) { return UnifyValue(a, v, f, k); });
    }
    if (HasUnbound(b, f)) {
      return EvalTerm(a, f, [&](const Value& v) { return UnifyValue(b, v, f, k); });
    }
    return EvalTerm(a, f, [&](const Value& va) {
      return EvalTerm(b, f, [&](const Value& vb) { return va == vb ? k() : true; });
    });
  }

  bool UnifyPairs(const Term& a, const Term& b, size_t i, Frame f, Cont k) {
    if (i == a.items.size()) return k();
    return Unify(*a.items[i], *b.items[i], f, [&] { return UnifyPairs(a, b, i + 1, f, k); });
  }

  bool UnifyValue(const Term& p, const Value& v, Frame f, Cont k) {
    switch (p.kind) {
      case TermKind::kLocal:
        if (f[p.index].is_undefined()) return Bind(f, p.index, v, k);
        return f[p.index] == v ? k() : true;
      case TermKind::kConst:
        return p.value == v ? k() : true;
      case TermKind::kArray:
        if (!v.is_array() || v.size() != p.items.size()) return true;
        return UnifyElems(p, v, 0, f, k);
      case TermKind::kObject:
        if (!v.is_object() || v.size() * 2 != p.items.size()) return true;
        return UnifyMembers(p, v, 0, f, k);
      default:
        return EvalTerm(p, f, [&](const Value& pv) { return pv == v ? k() : true; });
    }
  }

  bool UnifyElems(const Term& p, const Value& v, size_t i, Frame f, Cont k) {
    if (i == p.items.size()) return k();
    return UnifyValue(*p.items[i], v.elems()[i], f, [&] { return UnifyElems(p, v, i + 1, f, k); });
  }

  bool UnifyMembers(const Term& p, const Value& v, size_t i, Frame f, Cont k) {
    if (i >= p.items.size()) return k();
    return EvalTerm(*p.items[i], f, [&](const Value& key) {
      const Value* member = v.Find(key);
      if (!member) return true;
      return UnifyValue(*p.items[i + 1], *member, f,
                        [&] { return UnifyMembers(p, v, i + 2, f, k); });
    });
  }

  // ---- terms ------------------------------------------------------------------------------

  bool EvalTerm(const Term& t, Frame f, VCont k) {
    switch (t.kind) {
      case TermKind::kConst:
        return k(t.value);
      case TermKind::kLocal: {
        const Value& v = f[t.index];
        if (v.is_undefined()) {
          return Fail(Err(t.loc, absl::StrCat("var ", t.name.empty() ? "_" : t.name,
                                              " is unsafe (used before it is bound)")));
        }
        return k(v);
      }
      case TermKind::kInput:
        return input_.is_undefined() ? true : k(input_);
      case TermKind::kData:
        return k(data_);
      case TermKind::kRule: {
        const Value* v = RuleValue(t.index);
        if (!v) return false;
        return v->is_undefined() ? true : k(*v);
      }
      case TermKind::kVirtual: {
        Value v;
        if (!VirtualDoc(t.index, &v)) return false;
        return k(v);
      }
      case TermKind::kRef:
        if (!Step()) return false;
        return EvalTerm(*t.items[0], f,
                        [&](const Value& head) { return EvalRefOps(head, t, 1, f, k); });
      case TermKind::kCall:
        return EvalCall(t, f, k);
      case TermKind::kArray:
      case TermKind::kSet:
      case TermKind::kObject: {
        if (!Step() || !Charge(t.items.size() * sizeof(Value))) return false;
        Args acc;
        return EvalItems(t.items, 0, acc, f, [&] { return BuildComposite(t, acc, k); });
      }
      case TermKind::kArrayCompr:
      case TermKind::kSetCompr: {
        if (!Step()) return false;
        std::vector<Value> out;
        EvalBody(*t.body, 0, f, [&] {
          return EvalTerm(*t.items[0], f, [&](const Value& v) {
            if (!Charge(sizeof(Value))) return false;
            out.push_back(v);
            return true;
          });
        });
        if (!err_.ok()) return false;
        const Value v = t.kind == TermKind::kArrayCompr ? Value::Array(std::move(out))
                                                        : Value::Set(std::move(out));
        return k(v);
      }
      case TermKind::kObjectCompr: {
        if (!Step()) return false;
        std::vector<Value::Item> out;
        EvalBody(*t.body, 0, f, [&] {
          return EvalTerm(*t.items[0], f, [&](const Value& key) {
            return EvalTerm(*t.items[1], f, [&](const Value& val) {
              if (!Charge(2 * sizeof(Value))) return false;
              out.emplace_back(key, val);
              return true;
            });
          });
        });
        if (!err_.ok()) return false;
        Value v;
        if (!MakeObject(std::move(out), t.loc, &v)) return false;
        return k(v);
      }
      case TermKind::kMember:
        return EvalTerm(*t.items[0], f, [&](const Value& x) {
          return EvalTerm(*t.items[1], f,
                          [&](const Value& coll) { return k(Value::Bool(IsMember(x, coll))); });
        });
      default:
        return Fail(Err(t.loc, "internal error: unresolved term"));
    }
  }

  // Sorts object members; the same key with two different values is a conflict.
  bool MakeObject(std::vector<Value::Item> items, const Loc& loc, Value* out) {
    std::stable_sort(items.begin(), items.end(),
                     [](const Value::Item& a, const Value::Item& b) { return a.first < b.first; });
    std::vector<Value::Item> uniq;
    uniq.reserve(items.size());
    for (auto& it : items) {
      if (!uniq.empty() && uniq.back().first == it.first) {
        if (uniq.back().second != it.second) {
          return Fail(
              Err(loc, absl::StrCat("object keys must be unique: conflicting values for key ",
                                    it.first.ToRego())));
        }
        continue;
      }
      uniq.push_back(std::move(it));
    }
    *out = Value::ObjectFromSorted(std::move(uniq));
    return true;
  }

  bool BuildComposite(const Term& t, const Args& acc, VCont k) {
    Value v;
    if (t.kind == TermKind::kArray) {
      v = Value::Array(std::vector<Value>(acc.begin(), acc.end()));
    } else if (t.kind == TermKind::kSet) {
      v = Value::Set(std::vector<Value>(acc.begin(), acc.end()));
    } else {
      std::vector<Value::Item> items;
      for (size_t i = 0; i + 1 < acc.size(); i += 2) items.emplace_back(acc[i], acc[i + 1]);
      if (!MakeObject(std::move(items), t.loc, &v)) return false;
    }
    return k(v);
  }

  bool EvalItems(const std::vector<TermPtr>& items, size_t i, Args& acc, Frame f, Cont k) {
    if (i == items.size()) return k();
    return EvalTerm(*items[i], f, [&](const Value& v) {
      acc.push_back(v);
      const bool r = EvalItems(items, i + 1, acc, f, k);
      acc.pop_back();
      return r;
    });
  }

  bool EvalRefOps(const Value& v, const Term& ref, size_t i, Frame f, VCont k) {
    if (i == ref.items.size()) return k(v);
    const Term& op = *ref.items[i];
    if (op.kind == TermKind::kConst) {
      const Value* c = v.Find(op.value);
      return c ? EvalRefOps(*c, ref, i + 1, f, k) : true;
    }
    if (IsUnboundLocal(op, f)) {
      return ForEach(v, [&](const Value& key, const Value& val) {
        return Bind(f, op.index, key, [&] { return EvalRefOps(val, ref, i + 1, f, k); });
      });
    }
    return EvalTerm(op, f, [&](const Value& key) {
      const Value* c = v.Find(key);
      return c ? EvalRefOps(*c, ref, i + 1, f, k) : true;
    });
  }

  // ---- calls ------------------------------------------------------------------------------

  bool EvalCall(const Term& t, Frame f, VCont k) {
    if (!Step()) return false;
    if (t.call == CallKind::kBuiltin && t.index == print_builtin_) return EvalPrint(t, f, k);
    Args args;
    return EvalItems(t.items, 0, args, f, [&] { return Invoke(t, args, k); });
  }

  bool Invoke(const Term& t, const Args& args, VCont k) {
    switch (t.call) {
      case CallKind::kBuiltin: {
        auto r = GetBuiltin(t.index).fn(ctx_, absl::MakeConstSpan(args.data(), args.size()));
        if (!r.ok()) {
          if (IsLimitError(r.status()) || opts_.strict_builtin_errors) {
            return Fail(absl::Status(r.status().code(),
                                     absl::StrCat(prog_.Where(t.loc), ": ", r.status().message())));
          }
          return true;
        }
        return r->is_undefined() ? true : k(*r);
      }
      case CallKind::kFunction:
        return CallFunction(t.index, args, t.loc, k);
      case CallKind::kCustom: {
        if (!opts_.custom_function) {
          return Fail(Err(t.loc, absl::StrCat("no implementation for function ", t.name)));
        }
        auto r = opts_.custom_function(t.name, absl::MakeConstSpan(args.data(), args.size()));
        if (!r.ok()) {
          return Fail(absl::Status(r.status().code(), absl::StrCat(prog_.Where(t.loc), ": ", t.name,
                                                                   ": ", r.status().message())));
        }
        if (!r->has_value() || (*r)->is_undefined()) return true;
        const Value v = std::move(**r);
        return k(v);
      }
      default:
        return Fail(Err(t.loc, "internal error: unresolved call"));
    }
  }

  bool EvalPrint(const Term& t, Frame f, VCont k) {
    std::string line;
    for (size_t i = 0; i < t.items.size(); ++i) {
      std::string piece = "<undefined>";
      EvalTerm(*t.items[i], f, [&](const Value& v) {
        piece = FormatForPrint(v);
        return false;
      });
      if (!err_.ok()) return false;
      if (i > 0) line.push_back(' ');
      line.append(piece);
    }
    if (opts_.print) opts_.print(line);
    return k(Value::Bool(true));
  }

  bool BindParams(const Rule& def, size_t i, const Args& args, Frame f, Cont k) {
    if (i == def.params.size()) return k();
    return UnifyValue(*def.params[i], args[i], f,
                      [&] { return BindParams(def, i + 1, args, f, k); });
  }

  // Runs the branches of one definition (the rule, then its `else` chain) until one of them
  // has a solution, merging each value it produces into `merge`.
  template <typename Merge>
  void RunBranches(const Rule& def, Frame f, Merge&& merge) {
    for (const RuleBranch& br : def.branches) {
      bool defined = false;
      const bool constant = !br.value || br.value->kind == TermKind::kConst;
      EvalBody(br.body, 0, f, [&] {
        defined = true;
        if (!br.value) return merge(Value::Bool(true)) && false;
        if (constant) return merge(br.value->value) && false;
        return EvalTerm(*br.value, f, merge);
      });
      if (!err_.ok() || defined) return;
    }
  }

  bool CallFunction(int g, const Args& args, const Loc& loc, VCont k) {
    if (!Step()) return false;
    const RuleGroup& grp = prog_.groups[g];
    Value result;
    auto merge = [&](const Value& v) {
      if (result.is_undefined()) {
        result = v;
        return true;
      }
      if (result != v) {
        return Fail(
            Err(loc, absl::StrCat("functions must not produce multiple outputs for the same "
                                  "inputs (",
                                  grp.path, ": ", result.ToRego(), " and ", v.ToRego(), ")")));
      }
      return true;
    };
    for (const Rule* def : grp.defs) {
      FrameStorage frame(static_cast<size_t>(def->frame_size));
      BindParams(*def, 0, args, frame.data(), [&] {
        RunBranches(*def, frame.data(), merge);
        return false;  // parameters match at most one way
      });
      if (!err_.ok()) return false;
    }
    if (result.is_undefined() && grp.default_rule)
      result = grp.default_rule->branches[0].value->value;
    return result.is_undefined() ? true : k(result);
  }

  // ---- rules and documents ----------------------------------------------------------------

  const Value* RuleValue(int g) {
    if (state_[g] == kDone) return &cache_[g];
    const RuleGroup& grp = prog_.groups[g];
    if (state_[g] == kBusy) {
      Fail(Err(grp.loc, absl::StrCat("rule ", grp.path, " depends on itself")));
      return nullptr;
    }
    if (!Step()) return nullptr;
    state_[g] = kBusy;
    Value result;
    switch (grp.kind) {
      case RuleKind::kComplete: {
        auto merge = [&](const Value& v) {
          if (result.is_undefined()) {
            result = v;
            return true;
          }
          if (result != v) {
            return Fail(Err(
                grp.loc, absl::StrCat("complete rules must not produce multiple "
                                      "outputs (conflicting values for ",
                                      grp.path, ": ", result.ToRego(), " and ", v.ToRego(), ")")));
          }
          return true;
        };
        for (const Rule* def : grp.defs) {
          FrameStorage frame(static_cast<size_t>(def->frame_size));
          RunBranches(*def, frame.data(), merge);
          if (!err_.ok()) return nullptr;
        }
        if (result.is_undefined() && grp.default_rule) {
          result = grp.default_rule->branches[0].value->value;
        }
        break;
      }
      case RuleKind::kPartialSet: {
        std::vector<Value> out;
        for (const Rule* def : grp.defs) {
          FrameStorage frame(static_cast<size_t>(def->frame_size));
          EvalBody(def->branches[0].body, 0, frame.data(), [&] {
            return EvalTerm(*def->key, frame.data(), [&](const Value& v) {
              if (!Charge(sizeof(Value))) return false;
              out.push_back(v);
              return true;
            });
          });
          if (!err_.ok()) return nullptr;
        }
        result = Value::Set(std::move(out));
        break;
      }
      case RuleKind::kPartialObject: {
        std::vector<Value::Item> out;
        for (const Rule* def : grp.defs) {
          FrameStorage frame(static_cast<size_t>(def->frame_size));
          EvalBody(def->branches[0].body, 0, frame.data(), [&] {
            return EvalTerm(*def->key, frame.data(), [&](const Value& key) {
              return EvalTerm(*def->branches[0].value, frame.data(), [&](const Value& val) {
                if (!Charge(2 * sizeof(Value))) return false;
                out.emplace_back(key, val);
                return true;
              });
            });
          });
          if (!err_.ok()) return nullptr;
        }
        if (!MakeObject(std::move(out), grp.loc, &result)) return nullptr;
        break;
      }
      case RuleKind::kFunction:
        Fail(Err(grp.loc, absl::StrCat("function ", grp.path, " used as a value")));
        return nullptr;
    }
    cache_[g] = std::move(result);
    state_[g] = kDone;
    return &cache_[g];
  }

  // The document at a package node: base data there, overlaid with the values of the rules
  // and sub-packages defined below it.
  bool VirtualDoc(int node, Value* out) {
    if (!Step()) return false;
    const PackageNode& n = prog_.nodes[node];
    const Value* base = &data_;
    for (const std::string& seg : n.path) {
      base = base ? base->FindKey(seg) : nullptr;
    }
    std::vector<Value::Item> items;
    if (base && base->is_object()) items = base->items();
    for (const auto& [name, child] : n.children) {
      Value cv;
      if (!VirtualDoc(child, &cv)) return false;
      items.emplace_back(Value::String(name), std::move(cv));
    }
    for (const auto& [name, g] : n.rules) {
      if (prog_.groups[g].kind == RuleKind::kFunction) continue;
      const Value* v = RuleValue(g);
      if (!v) return false;
      if (!v->is_undefined()) items.emplace_back(Value::String(name), *v);
    }
    *out = Value::Object(std::move(items));
    return true;
  }

  const Program& prog_;
  const Value& input_;
  const Value& data_;
  const EvalOptions& opts_;
  std::vector<Value> cache_;
  std::vector<State> state_;
  BuiltinContext ctx_;
  int print_builtin_ = -1;
  absl::Status err_;
  uint64_t steps_ = 0;
  uintptr_t stack_base_ = 0;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace

absl::StatusOr<Value> EvaluateQuery(const Program& program, const Term& query, const Value& input,
                                    const Value& data, const EvalOptions& options,
                                    RegexCache* regex) {
  Evaluator ev(program, input, data, options, regex);
  return ev.Run(query);
}

}  // namespace cocoon::policy
