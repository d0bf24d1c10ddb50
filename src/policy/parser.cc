#include "policy/parser.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace cocoon::policy {
namespace {

enum class Tok : uint8_t {
  kEof,
  kIdent,
  kString,
  kNumber,
  kLBrace,
  kRBrace,
  kLBrack,
  kRBrack,
  kLParen,
  kRParen,
  kComma,
  kSemi,
  kDot,
  kColon,
  kAssign,  // :=
  kUnify,   // =
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
  kAmp,
  kBar,
};

struct Token {
  Tok t = Tok::kEof;
  std::string text;  // identifier, decoded string, or number spelling
  int line = 1;
  int col = 1;
  bool nl_before = false;  // a newline separates this token from the previous one
  bool ws_before = false;  // any white space or comment does
};

// Status carrying a "file:line:col: message" text.
absl::Status ErrorAt(absl::string_view file, int line, int col, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ":", col, ": ", msg));
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Lexer {
 public:
  Lexer(absl::string_view src, absl::string_view file) : src_(src), file_(file) {}

  absl::StatusOr<std::vector<Token>> Run() {
    std::vector<Token> out;
    while (true) {
      Token t;
      bool nl = false, ws = false;
      SkipSpace(&nl, &ws);
      t.nl_before = nl || out.empty();
      t.ws_before = ws;
      t.line = line_;
      t.col = col_;
      if (pos_ >= src_.size()) {
        t.t = Tok::kEof;
        out.push_back(std::move(t));
        return out;
      }
      const char c = src_[pos_];
      if (absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t start = pos_;
        while (pos_ < src_.size() &&
               (absl::ascii_isalnum(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_')) {
          Advance();
        }
        t.t = Tok::kIdent;
        t.text = std::string(src_.substr(start, pos_ - start));
      } else if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        size_t start = pos_;
        while (pos_ < src_.size() && absl::ascii_isdigit(static_cast<unsigned char>(src_[pos_]))) {
          Advance();
        }
        if (pos_ + 1 < src_.size() && src_[pos_] == '.' &&
            absl::ascii_isdigit(static_cast<unsigned char>(src_[pos_ + 1]))) {
          Advance();
          while (pos_ < src_.size() &&
                 absl::ascii_isdigit(static_cast<unsigned char>(src_[pos_]))) {
            Advance();
          }
        }
        if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
          Advance();
          if (pos_ < src_.size() && (src_[pos_] == '+' || src_[pos_] == '-')) Advance();
          if (pos_ >= src_.size() || !absl::ascii_isdigit(static_cast<unsigned char>(src_[pos_]))) {
            return ErrorAt(file_, line_, col_, "malformed number: missing exponent digits");
          }
          while (pos_ < src_.size() &&
                 absl::ascii_isdigit(static_cast<unsigned char>(src_[pos_]))) {
            Advance();
          }
        }
        t.t = Tok::kNumber;
        t.text = std::string(src_.substr(start, pos_ - start));
      } else if (c == '"') {
        t.t = Tok::kString;
        auto s = LexString();
        if (!s.ok()) return s.status();
        t.text = std::move(*s);
      } else if (c == '`') {
        t.t = Tok::kString;
        Advance();
        size_t start = pos_;
        while (pos_ < src_.size() && src_[pos_] != '`') Advance();
        if (pos_ >= src_.size()) return ErrorAt(file_, t.line, t.col, "unterminated raw string");
        t.text = std::string(src_.substr(start, pos_ - start));
        Advance();
      } else {
        const char n = pos_ + 1 < src_.size() ? src_[pos_ + 1] : '\0';
        int len = 1;
        switch (c) {
          case '{':
            t.t = Tok::kLBrace;
            break;
          case '}':
            t.t = Tok::kRBrace;
            break;
          case '[':
            t.t = Tok::kLBrack;
            break;
          case ']':
            t.t = Tok::kRBrack;
            break;
          case '(':
            t.t = Tok::kLParen;
            break;
          case ')':
            t.t = Tok::kRParen;
            break;
          case ',':
            t.t = Tok::kComma;
            break;
          case ';':
            t.t = Tok::kSemi;
            break;
          case '.':
            t.t = Tok::kDot;
            break;
          case ':':
            if (n == '=') {
              t.t = Tok::kAssign;
              len = 2;
            } else {
              t.t = Tok::kColon;
            }
            break;
          case '=':
            if (n == '=') {
              t.t = Tok::kEq;
              len = 2;
            } else {
              t.t = Tok::kUnify;
            }
            break;
          case '!':
            if (n != '=') return ErrorAt(file_, line_, col_, "unexpected character '!'");
            t.t = Tok::kNe;
            len = 2;
            break;
          case '<':
            if (n == '=') {
              t.t = Tok::kLe;
              len = 2;
            } else {
              t.t = Tok::kLt;
            }
            break;
          case '>':
            if (n == '=') {
              t.t = Tok::kGe;
              len = 2;
            } else {
              t.t = Tok::kGt;
            }
            break;
          case '+':
            t.t = Tok::kPlus;
            break;
          case '-':
            t.t = Tok::kMinus;
            break;
          case '*':
            t.t = Tok::kStar;
            break;
          case '/':
            t.t = Tok::kSlash;
            break;
          case '%':
            t.t = Tok::kPercent;
            break;
          case '&':
            t.t = Tok::kAmp;
            break;
          case '|':
            t.t = Tok::kBar;
            break;
          default: {
            const auto u = static_cast<unsigned char>(c);
            return ErrorAt(file_, line_, col_,
                           u >= 0x20 && u < 0x7F
                               ? absl::StrCat("unexpected character '", std::string(1, c), "'")
                               : absl::StrCat("unexpected byte 0x", absl::Hex(u)));
          }
        }
        for (int i = 0; i < len; ++i) Advance();
      }
      out.push_back(std::move(t));
    }
  }

 private:
  void Advance() {
    if (src_[pos_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++pos_;
  }

  void SkipSpace(bool* nl, bool* ws) {
    while (pos_ < src_.size()) {
      const char c = src_[pos_];
      if (c == '\n') {
        *nl = true;
        *ws = true;
        Advance();
      } else if (c == ' ' || c == '\t' || c == '\r') {
        *ws = true;
        Advance();
      } else if (c == '#') {
        *ws = true;
        while (pos_ < src_.size() && src_[pos_] != '\n') Advance();
      } else {
        return;
      }
    }
  }

  absl::StatusOr<uint32_t> Hex4() {
    if (pos_ + 4 > src_.size()) return ErrorAt(file_, line_, col_, "truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = src_[pos_];
      v <<= 4;
      if (h >= '0' && h <= '9') {
        v |= h - '0';
      } else if (h >= 'a' && h <= 'f') {
        v |= h - 'a' + 10;
      } else if (h >= 'A' && h <= 'F') {
        v |= h - 'A' + 10;
      } else {
        return ErrorAt(file_, line_, col_, "invalid hex digit in \\u escape");
      }
      Advance();
    }
    return v;
  }

  absl::StatusOr<std::string> LexString() {
    const int line = line_, col = col_;
    Advance();  // opening quote
    std::string out;
    while (true) {
      if (pos_ >= src_.size() || src_[pos_] == '\n') {
        return ErrorAt(file_, line, col, "unterminated string");
      }
      const char c = src_[pos_];
      if (c == '"') {
        Advance();
        return out;
      }
      if (c != '\\') {
        out.push_back(c);
        Advance();
        continue;
      }
      Advance();
      if (pos_ >= src_.size()) return ErrorAt(file_, line, col, "unterminated string");
      const char e = src_[pos_];
      const int eline = line_, ecol = col_;
      Advance();
      switch (e) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          auto cp = Hex4();
          if (!cp.ok()) return cp.status();
          uint32_t v = *cp;
          if (v >= 0xD800 && v < 0xDC00 && pos_ + 1 < src_.size() && src_[pos_] == '\\' &&
              src_[pos_ + 1] == 'u') {
            Advance();
            Advance();
            auto lo = Hex4();
            if (!lo.ok()) return lo.status();
            if (*lo >= 0xDC00 && *lo < 0xE000) {
              v = 0x10000 + ((v - 0xD800) << 10) + (*lo - 0xDC00);
            } else {
              AppendUtf8(&out, 0xFFFD);
              v = *lo;
            }
          }
          if (v >= 0xD800 && v < 0xE000) v = 0xFFFD;
          AppendUtf8(&out, v);
          break;
        }
        default:
          return ErrorAt(file_, eline, ecol,
                         absl::StrCat("invalid escape sequence '\\", std::string(1, e), "'"));
      }
    }
  }

  absl::string_view src_;
  absl::string_view file_;
  size_t pos_ = 0;
  int line_ = 1;
  int col_ = 1;
};

bool IsKeyword(absl::string_view s) {
  return s == "package" || s == "import" || s == "default" || s == "not" || s == "some" ||
         s == "every" || s == "in" || s == "if" || s == "else" || s == "with" || s == "as" ||
         s == "true" || s == "false" || s == "null";
}

const char* BinOpName(Tok t) {
  switch (t) {
    case Tok::kEq:
      return "equal";
    case Tok::kNe:
      return "neq";
    case Tok::kLt:
      return "lt";
    case Tok::kLe:
      return "lte";
    case Tok::kGt:
      return "gt";
    case Tok::kGe:
      return "gte";
    case Tok::kPlus:
      return "plus";
    case Tok::kMinus:
      return "minus";
    case Tok::kStar:
      return "mul";
    case Tok::kSlash:
      return "div";
    case Tok::kPercent:
      return "rem";
    case Tok::kAmp:
      return "and";
    case Tok::kBar:
      return "or";
    default:
      return "";
  }
}

class Parser {
 public:
  Parser(std::vector<Token> toks, int file, absl::string_view filename, const ParseLimits& limits)
      : toks_(std::move(toks)), file_(file), filename_(filename), limits_(limits) {}

  absl::StatusOr<std::unique_ptr<Module>> ParseModuleBody() {
    auto mod = std::make_unique<Module>();
    mod->file = file_;
    if (!IsIdent("package")) return Err(Peek(), "expected 'package' declaration");
    mod->package_loc = LocOf(Peek());
    Next();
    auto path = ParsePath();
    if (!path.ok()) return path.status();
    if (path->empty()) return Err(Peek(), "expected package name");
    mod->package = std::move(*path);
    while (IsIdent("import")) {
      Import imp;
      imp.loc = LocOf(Peek());
      Next();
      auto ipath = ParsePath();
      if (!ipath.ok()) return ipath.status();
      if (ipath->empty()) return Err(Peek(), "expected import path");
      imp.path = std::move(*ipath);
      if (IsIdent("as")) {
        Next();
        if (Peek().t != Tok::kIdent || IsKeyword(Peek().text)) {
          return Err(Peek(), "expected alias name after 'as'");
        }
        imp.alias = Next().text;
      }
      mod->imports.push_back(std::move(imp));
    }
    while (Peek().t != Tok::kEof) {
      if (!Peek().nl_before) return Err(Peek(), "expected a new line before the next rule");
      auto rule = ParseRule();
      if (!rule.ok()) return rule.status();
      mod->rules.push_back(std::move(*rule));
    }
    return mod;
  }

  absl::StatusOr<TermPtr> ParseQueryTerm() {
    nl_sensitive_ = false;
    auto t = ParseTerm();
    if (!t.ok()) return t.status();
    if (Peek().t != Tok::kEof) return Err(Peek(), "unexpected input after the query");
    return t;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    const size_t i = pos_ + ahead;
    return i < toks_.size() ? toks_[i] : toks_.back();
  }
  const Token& Next() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  bool IsIdent(absl::string_view s, size_t ahead = 0) const {
    return Peek(ahead).t == Tok::kIdent && Peek(ahead).text == s;
  }
  Loc LocOf(const Token& t) const { return Loc{file_, t.line, t.col}; }

  absl::Status Err(const Token& t, absl::string_view msg) const {
    if (t.t == Tok::kEof)
      return ErrorAt(filename_, t.line, t.col, absl::StrCat(msg, " at end of input"));
    return ErrorAt(filename_, t.line, t.col, msg);
  }
  absl::Status Expect(Tok t, absl::string_view what) {
    if (Peek().t != t) return Err(Peek(), absl::StrCat("expected ", what));
    Next();
    return absl::OkStatus();
  }

  // Guards recursion: every nested term, body or parenthesis passes through here.
  class DepthGuard {
   public:
    explicit DepthGuard(Parser* p) : p_(p) { ++p_->depth_; }
    ~DepthGuard() { --p_->depth_; }
    bool exceeded() const { return p_->depth_ > p_->limits_.max_depth; }

   private:
    Parser* p_;
  };

  // Operator chains (`a + b + c`) and reference chains (`a[b][c]`) build trees as deep as they
  // are long, so each link counts as one level of nesting until the chain is complete.
  class ChainDepth {
   public:
    explicit ChainDepth(Parser* p) : p_(p) {}
    ~ChainDepth() { p_->depth_ -= n_; }
    bool Add() {
      ++n_;
      ++p_->depth_;
      return p_->depth_ <= p_->limits_.max_depth;
    }

   private:
    Parser* p_;
    int n_ = 0;
  };

  // A package or import path: ident ( '.' ident | '[' string ']' )*
  absl::StatusOr<std::vector<std::string>> ParsePath() {
    std::vector<std::string> out;
    if (Peek().t != Tok::kIdent) return out;
    out.push_back(Next().text);
    while (true) {
      if (Peek().t == Tok::kDot && !Peek().ws_before) {
        Next();
        if (Peek().t != Tok::kIdent) return Err(Peek(), "expected name after '.'");
        out.push_back(Next().text);
      } else if (Peek().t == Tok::kLBrack && !Peek().ws_before) {
        Next();
        if (Peek().t != Tok::kString) return Err(Peek(), "expected string in path");
        out.push_back(Next().text);
        if (auto st = Expect(Tok::kRBrack, "']'"); !st.ok()) return st;
      } else {
        return out;
      }
    }
  }

  TermPtr MakeConst(Value v, Loc loc) {
    auto t = std::make_unique<Term>();
    t->kind = TermKind::kConst;
    t->loc = loc;
    t->value = std::move(v);
    t->ground = true;
    return t;
  }

  absl::StatusOr<std::unique_ptr<Rule>> ParseRule() {
    auto rule = std::make_unique<Rule>();
    const Token& start = Peek();
    rule->loc = LocOf(start);
    if (IsIdent("default")) {
      rule->is_default = true;
      Next();
    }
    if (Peek().t != Tok::kIdent || IsKeyword(Peek().text)) {
      return Err(Peek(), "expected rule name");
    }
    rule->name = Next().text;
    if (Peek().t == Tok::kDot) {
      return Err(Peek(), "rule heads with dotted references are not supported");
    }
    RuleBranch main;
    main.loc = rule->loc;
    if (Peek().t == Tok::kLParen && !Peek().ws_before) {
      rule->kind = RuleKind::kFunction;
      Next();
      nl_sensitive_ = false;
      if (Peek().t != Tok::kRParen) {
        while (true) {
          auto p = ParseTerm();
          if (!p.ok()) return p.status();
          rule->params.push_back(std::move(*p));
          if (Peek().t == Tok::kComma) {
            Next();
            continue;
          }
          break;
        }
      }
      if (auto st = Expect(Tok::kRParen, "')' after function parameters"); !st.ok()) return st;
    } else if (Peek().t == Tok::kLBrack && !Peek().ws_before) {
      Next();
      nl_sensitive_ = false;
      auto k = ParseTerm();
      if (!k.ok()) return k.status();
      rule->key = std::move(*k);
      if (auto st = Expect(Tok::kRBrack, "']' after rule key"); !st.ok()) return st;
      rule->kind = RuleKind::kPartialSet;
    } else if (IsIdent("contains")) {
      Next();
      nl_sensitive_ = true;
      auto k = ParseTerm();
      if (!k.ok()) return k.status();
      rule->key = std::move(*k);
      rule->kind = RuleKind::kPartialSet;
      if (Peek().t == Tok::kAssign || Peek().t == Tok::kUnify) {
        return Err(Peek(), "a 'contains' rule has no value");
      }
    }
    if (Peek().t == Tok::kAssign || Peek().t == Tok::kUnify) {
      Next();
      nl_sensitive_ = true;
      auto v = ParseTerm();
      if (!v.ok()) return v.status();
      main.value = std::move(*v);
      if (rule->kind == RuleKind::kPartialSet) rule->kind = RuleKind::kPartialObject;
    }
    if (rule->is_default) {
      if (rule->kind == RuleKind::kPartialSet || rule->kind == RuleKind::kPartialObject) {
        return Err(start, "default rules must not be partial rules");
      }
      if (!main.value) return Err(Peek(), "default rule requires a value");
      rule->branches.push_back(std::move(main));
      return rule;
    }
    if (auto st = ParseRuleBody(&main.body); !st.ok()) return st;
    rule->branches.push_back(std::move(main));
    while (IsIdent("else")) {
      if (rule->kind != RuleKind::kComplete && rule->kind != RuleKind::kFunction) {
        return Err(Peek(), "'else' is only allowed on complete rules and functions");
      }
      RuleBranch br;
      br.loc = LocOf(Peek());
      Next();
      if (Peek().t == Tok::kAssign || Peek().t == Tok::kUnify) {
        Next();
        nl_sensitive_ = true;
        auto v = ParseTerm();
        if (!v.ok()) return v.status();
        br.value = std::move(*v);
      }
      if (auto st = ParseRuleBody(&br.body); !st.ok()) return st;
      rule->branches.push_back(std::move(br));
    }
    return rule;
  }

  // `if { ... }`, `if expr`, `{ ... }` (v0), or nothing (unconditional).
  absl::Status ParseRuleBody(Body* body) {
    if (IsIdent("if")) {
      Next();
      if (Peek().t == Tok::kLBrace) return ParseBraceBody(body);
      nl_sensitive_ = true;
      auto e = ParseLiteral();
      if (!e.ok()) return e.status();
      body->exprs.push_back(std::move(*e));
      return absl::OkStatus();
    }
    if (Peek().t == Tok::kLBrace && !Peek().nl_before) return ParseBraceBody(body);
    return absl::OkStatus();
  }

  absl::Status ParseBraceBody(Body* body) {
    if (auto st = Expect(Tok::kLBrace, "'{'"); !st.ok()) return st;
    DepthGuard g(this);
    if (g.exceeded()) return Err(Peek(), "nesting too deep");
    if (auto st = ParseLiterals(body, Tok::kRBrace); !st.ok()) return st;
    if (body->exprs.empty()) return Err(Peek(), "rule body must not be empty");
    return Expect(Tok::kRBrace, "'}' to close the body");
  }

  // Literals separated by new lines or ';' up to (not including) `end`.
  absl::Status ParseLiterals(Body* body, Tok end) {
    const bool saved = nl_sensitive_;
    while (Peek().t != end) {
      if (Peek().t == Tok::kEof) return Err(Peek(), "unexpected end of input in body");
      nl_sensitive_ = true;
      auto e = ParseLiteral();
      if (!e.ok()) return e.status();
      body->exprs.push_back(std::move(*e));
      if (Peek().t == Tok::kSemi) {
        Next();
        continue;
      }
      if (Peek().t == end) break;
      if (!Peek().nl_before) return Err(Peek(), "expected new line or ';' between expressions");
    }
    nl_sensitive_ = saved;
    return absl::OkStatus();
  }

  absl::StatusOr<Expr> ParseLiteral() {
    DepthGuard g(this);
    if (g.exceeded()) return Err(Peek(), "nesting too deep");
    Expr e;
    e.loc = LocOf(Peek());
    if (IsIdent("not")) {
      Next();
      auto inner = ParseLiteral();
      if (!inner.ok()) return inner.status();
      if (inner->kind != ExprKind::kTerm && inner->kind != ExprKind::kUnify) {
        return Err(Peek(), "'not' must be followed by an expression");
      }
      e.kind = ExprKind::kNot;
      e.inner = std::make_unique<Expr>(std::move(*inner));
      return e;
    }
    if (IsIdent("some")) {
      Next();
      // `some x, y` declares; `some x in xs` / `some k, v in xs` iterates.
      std::vector<TermPtr> vars;
      while (true) {
        auto t = ParseTermNoIn();
        if (!t.ok()) return t.status();
        vars.push_back(std::move(*t));
        if (Peek().t == Tok::kComma) {
          Next();
          continue;
        }
        break;
      }
      if (IsIdent("in")) {
        Next();
        if (vars.size() > 2) return Err(Peek(), "'some ... in' takes one or two variables");
        auto coll = ParseTermNoIn();
        if (!coll.ok()) return coll.status();
        e.kind = ExprKind::kSomeIn;
        if (vars.size() == 2) {
          e.a = std::move(vars[0]);
          e.b = std::move(vars[1]);
        } else {
          e.b = std::move(vars[0]);
        }
        e.c = std::move(*coll);
        return e;
      }
      e.kind = ExprKind::kSomeDecl;
      for (auto& v : vars) {
        if (v->kind != TermKind::kVar) return Err(Peek(), "'some' declares variables only");
        e.names.push_back(v->name);
      }
      return e;
    }
    if (IsIdent("every")) {
      Next();
      auto first = ParseTermNoIn();
      if (!first.ok()) return first.status();
      TermPtr key, val = std::move(*first);
      if (Peek().t == Tok::kComma) {
        Next();
        auto second = ParseTermNoIn();
        if (!second.ok()) return second.status();
        key = std::move(val);
        val = std::move(*second);
      }
      if (val->kind != TermKind::kVar || (key && key->kind != TermKind::kVar)) {
        return Err(Peek(), "'every' binds variables only");
      }
      if (!IsIdent("in")) return Err(Peek(), "expected 'in' after 'every' variables");
      Next();
      auto dom = ParseTermNoIn();
      if (!dom.ok()) return dom.status();
      e.kind = ExprKind::kEvery;
      e.a = std::move(key);
      e.b = std::move(val);
      e.c = std::move(*dom);
      e.body = std::make_unique<Body>();
      if (auto st = ParseBraceBody(e.body.get()); !st.ok()) return st;
      return e;
    }
    auto lhs = ParseTerm();
    if (!lhs.ok()) return lhs.status();
    if (Peek().t == Tok::kAssign || Peek().t == Tok::kUnify) {
      e.kind = Peek().t == Tok::kAssign ? ExprKind::kAssign : ExprKind::kUnify;
      Next();
      auto rhs = ParseTerm();
      if (!rhs.ok()) return rhs.status();
      e.a = std::move(*lhs);
      e.b = std::move(*rhs);
    } else {
      e.kind = ExprKind::kTerm;
      e.a = std::move(*lhs);
    }
    if (IsIdent("with")) return Err(Peek(), "'with' is not supported");
    return e;
  }

  // An operator continues the expression unless, at body level, a new line precedes it: then
  // it starts the next expression.
  bool OpContinues() const { return !(nl_sensitive_ && Peek().nl_before); }

  absl::StatusOr<TermPtr> MakeCall(const char* name, TermPtr a, TermPtr b, Loc loc) {
    auto t = std::make_unique<Term>();
    t->kind = TermKind::kCall;
    t->loc = loc;
    t->name = name;
    t->items.push_back(std::move(a));
    t->items.push_back(std::move(b));
    return t;
  }

  // Full term: membership (`x in xs`, `k, v in xs` is only in some/every) down to primaries.
  absl::StatusOr<TermPtr> ParseTerm() {
    DepthGuard g(this);
    if (g.exceeded()) return Err(Peek(), "nesting too deep");
    auto lhs = ParseRelation();
    if (!lhs.ok()) return lhs;
    ChainDepth chain(this);
    while (IsIdent("in") && OpContinues()) {
      if (!chain.Add()) return Err(Peek(), "nesting too deep");
      const Loc loc = LocOf(Next());
      auto rhs = ParseRelation();
      if (!rhs.ok()) return rhs;
      auto t = std::make_unique<Term>();
      t->kind = TermKind::kMember;
      t->loc = loc;
      t->items.push_back(std::move(*lhs));
      t->items.push_back(std::move(*rhs));
      lhs = std::move(t);
    }
    return lhs;
  }

  absl::StatusOr<TermPtr> ParseTermNoIn() {
    DepthGuard g(this);
    if (g.exceeded()) return Err(Peek(), "nesting too deep");
    return ParseRelation();
  }

  absl::StatusOr<TermPtr> ParseRelation() {
    auto lhs = ParseOr();
    if (!lhs.ok()) return lhs;
    ChainDepth chain(this);
    while (OpContinues() &&
           (Peek().t == Tok::kEq || Peek().t == Tok::kNe || Peek().t == Tok::kLt ||
            Peek().t == Tok::kLe || Peek().t == Tok::kGt || Peek().t == Tok::kGe)) {
      if (!chain.Add()) return Err(Peek(), "nesting too deep");
      const Token& op = Next();
      auto rhs = ParseOr();
      if (!rhs.ok()) return rhs;
      lhs = MakeCall(BinOpName(op.t), std::move(*lhs), std::move(*rhs), LocOf(op));
    }
    return lhs;
  }

  absl::StatusOr<TermPtr> ParseOr() {
    auto lhs = ParseAnd();
    if (!lhs.ok()) return lhs;
    ChainDepth chain(this);
    while (OpContinues() && Peek().t == Tok::kBar && !no_bar_) {
      if (!chain.Add()) return Err(Peek(), "nesting too deep");
      const Token& op = Next();
      auto rhs = ParseAnd();
      if (!rhs.ok()) return rhs;
      lhs = MakeCall("or", std::move(*lhs), std::move(*rhs), LocOf(op));
    }
    return lhs;
  }

  absl::StatusOr<TermPtr> ParseAnd() {
    auto lhs = ParseArith();
    if (!lhs.ok()) return lhs;
    ChainDepth chain(this);
    while (OpContinues() && Peek().t == Tok::kAmp) {
      if (!chain.Add()) return Err(Peek(), "nesting too deep");
      const Token& op = Next();
      auto rhs = ParseArith();
      if (!rhs.ok()) return rhs;
      lhs = MakeCall("and", std::move(*lhs), std::move(*rhs), LocOf(op));
    }
    return lhs;
  }

  absl::StatusOr<TermPtr> ParseArith() {
    auto lhs = ParseFactor();
    if (!lhs.ok()) return lhs;
    ChainDepth chain(this);
    while (OpContinues() && (Peek().t == Tok::kPlus || Peek().t == Tok::kMinus)) {
      if (!chain.Add()) return Err(Peek(), "nesting too deep");
      const Token& op = Next();
      auto rhs = ParseFactor();
      if (!rhs.ok()) return rhs;
      lhs = MakeCall(BinOpName(op.t), std::move(*lhs), std::move(*rhs), LocOf(op));
    }
    return lhs;
  }

  absl::StatusOr<TermPtr> ParseFactor() {
    auto lhs = ParseUnary();
    if (!lhs.ok()) return lhs;
    ChainDepth chain(this);
    while (OpContinues() &&
           (Peek().t == Tok::kStar || Peek().t == Tok::kSlash || Peek().t == Tok::kPercent)) {
      if (!chain.Add()) return Err(Peek(), "nesting too deep");
      const Token& op = Next();
      auto rhs = ParseUnary();
      if (!rhs.ok()) return rhs;
      lhs = MakeCall(BinOpName(op.t), std::move(*lhs), std::move(*rhs), LocOf(op));
    }
    return lhs;
  }

  absl::StatusOr<TermPtr> ParseUnary() {
    if (Peek().t == Tok::kMinus) {
      const Token& op = Next();
      DepthGuard g(this);
      if (g.exceeded()) return Err(Peek(), "nesting too deep");
      if (Peek().t == Tok::kNumber && !Peek().ws_before) {
        const Token& num = Next();
        auto v = ParseNumber(num, /*negative=*/true);
        if (!v.ok()) return v.status();
        return ParsePostfix(MakeConst(std::move(*v), LocOf(op)));
      }
      auto operand = ParseUnary();
      if (!operand.ok()) return operand;
      return MakeCall("minus", MakeConst(Value::Int(0), LocOf(op)), std::move(*operand), LocOf(op));
    }
    return ParsePrimary();
  }

  absl::StatusOr<Value> ParseNumber(const Token& t, bool negative) {
    const std::string text = negative ? "-" + t.text : t.text;
    if (text.find_first_of(".eE") == std::string::npos) {
      errno = 0;
      char* end = nullptr;
      const long long v = std::strtoll(text.c_str(), &end, 10);
      if (errno == 0 && end == text.c_str() + text.size()) return Value::Int(v);
    }
    errno = 0;
    char* end = nullptr;
    const double d = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !std::isfinite(d)) {
      return Err(t, absl::StrCat("number out of range: ", text.substr(0, 40)));
    }
    return Value::Number(d);
  }

  absl::StatusOr<TermPtr> ParsePrimary() {
    DepthGuard g(this);
    if (g.exceeded()) return Err(Peek(), "nesting too deep");
    const Token& t = Peek();
    const Loc loc = LocOf(t);
    TermPtr term;
    switch (t.t) {
      case Tok::kNumber: {
        Next();
        auto v = ParseNumber(t, false);
        if (!v.ok()) return v.status();
        term = MakeConst(std::move(*v), loc);
        break;
      }
      case Tok::kString:
        term = MakeConst(Value::String(Next().text), loc);
        break;
      case Tok::kIdent: {
        if (t.text == "true" || t.text == "false") {
          Next();
          term = MakeConst(Value::Bool(t.text == "true"), loc);
          break;
        }
        if (t.text == "null") {
          Next();
          term = MakeConst(Value::Null(), loc);
          break;
        }
        if (IsKeyword(t.text)) return Err(t, absl::StrCat("unexpected keyword '", t.text, "'"));
        if (t.text == "set" && Peek(1).t == Tok::kLParen && Peek(2).t == Tok::kRParen) {
          Next();
          Next();
          Next();
          term = std::make_unique<Term>();
          term->kind = TermKind::kSet;
          term->loc = loc;
          break;
        }
        term = std::make_unique<Term>();
        term->kind = TermKind::kVar;
        term->loc = loc;
        term->name = Next().text;
        break;
      }
      case Tok::kLParen: {
        Next();
        const bool saved = nl_sensitive_, saved_bar = no_bar_;
        nl_sensitive_ = false;
        no_bar_ = false;
        auto inner = ParseTerm();
        if (!inner.ok()) return inner;
        if (auto st = Expect(Tok::kRParen, "')'"); !st.ok()) return st;
        nl_sensitive_ = saved;
        no_bar_ = saved_bar;
        term = std::move(*inner);
        break;
      }
      case Tok::kLBrack: {
        auto arr = ParseArray();
        if (!arr.ok()) return arr;
        term = std::move(*arr);
        break;
      }
      case Tok::kLBrace: {
        auto obj = ParseBraced();
        if (!obj.ok()) return obj;
        term = std::move(*obj);
        break;
      }
      default:
        return Err(t, "expected a term");
    }
    return ParsePostfix(std::move(term));
  }

  // References (`.name`, `[term]`) and calls (`name(args)`) after a primary.
  absl::StatusOr<TermPtr> ParsePostfix(TermPtr term) {
    ChainDepth chain(this);
    while (true) {
      const Token& t = Peek();
      if ((t.t == Tok::kDot || t.t == Tok::kLBrack || t.t == Tok::kLParen) && !t.ws_before &&
          !chain.Add()) {
        return Err(t, "nesting too deep");
      }
      if (t.t == Tok::kDot && !t.ws_before) {
        Next();
        if (Peek().t != Tok::kIdent || Peek().ws_before)
          return Err(Peek(), "expected name after '.'");
        const Token& name = Next();
        term = AppendRef(std::move(term), MakeConst(Value::String(name.text), LocOf(name)));
      } else if (t.t == Tok::kLBrack && !t.ws_before) {
        Next();
        const bool saved = nl_sensitive_, saved_bar = no_bar_;
        nl_sensitive_ = false;
        no_bar_ = false;
        auto idx = ParseTerm();
        if (!idx.ok()) return idx;
        if (auto st = Expect(Tok::kRBrack, "']'"); !st.ok()) return st;
        nl_sensitive_ = saved;
        no_bar_ = saved_bar;
        term = AppendRef(std::move(term), std::move(*idx));
      } else if (t.t == Tok::kLParen && !t.ws_before) {
        auto name = CallName(*term);
        if (!name) return Err(t, "only named functions can be called");
        Next();
        auto call = std::make_unique<Term>();
        call->kind = TermKind::kCall;
        call->loc = term->loc;
        call->name = *name;
        const bool saved = nl_sensitive_, saved_bar = no_bar_;
        nl_sensitive_ = false;
        no_bar_ = false;
        if (Peek().t != Tok::kRParen) {
          while (true) {
            auto a = ParseTerm();
            if (!a.ok()) return a;
            call->items.push_back(std::move(*a));
            if (Peek().t == Tok::kComma) {
              Next();
              if (Peek().t == Tok::kRParen) break;
              continue;
            }
            break;
          }
        }
        if (auto st = Expect(Tok::kRParen, "')' after arguments"); !st.ok()) return st;
        nl_sensitive_ = saved;
        no_bar_ = saved_bar;
        term = std::move(call);
      } else {
        return term;
      }
    }
  }

  // "a.b.c" when `t` is a variable or a reference made of names only.
  static std::optional<std::string> CallName(const Term& t) {
    if (t.kind == TermKind::kVar) return t.name;
    if (t.kind != TermKind::kRef || t.items[0]->kind != TermKind::kVar) return std::nullopt;
    std::string name = t.items[0]->name;
    for (size_t i = 1; i < t.items.size(); ++i) {
      const Term& op = *t.items[i];
      if (op.kind != TermKind::kConst || !op.value.is_string()) return std::nullopt;
      absl::StrAppend(&name, ".", op.value.str());
    }
    return name;
  }

  TermPtr AppendRef(TermPtr base, TermPtr op) {
    if (base->kind != TermKind::kRef) {
      auto ref = std::make_unique<Term>();
      ref->kind = TermKind::kRef;
      ref->loc = base->loc;
      ref->items.push_back(std::move(base));
      base = std::move(ref);
    }
    base->items.push_back(std::move(op));
    return base;
  }

  absl::StatusOr<TermPtr> ParseArray() {
    const Token& open = Next();
    const bool saved = nl_sensitive_, saved_bar = no_bar_;
    nl_sensitive_ = false;
    auto arr = std::make_unique<Term>();
    arr->kind = TermKind::kArray;
    arr->loc = LocOf(open);
    if (Peek().t == Tok::kRBrack) {
      Next();
      nl_sensitive_ = saved;
      no_bar_ = saved_bar;
      return arr;
    }
    no_bar_ = true;
    auto first = ParseTerm();
    if (!first.ok()) return first;
    no_bar_ = false;
    if (Peek().t == Tok::kBar) {
      Next();
      arr->kind = TermKind::kArrayCompr;
      arr->items.push_back(std::move(*first));
      arr->body = std::make_unique<Body>();
      if (auto st = ParseLiterals(arr->body.get(), Tok::kRBrack); !st.ok()) return st;
      if (arr->body->exprs.empty()) return Err(Peek(), "comprehension body must not be empty");
      if (auto st = Expect(Tok::kRBrack, "']'"); !st.ok()) return st;
      nl_sensitive_ = saved;
      no_bar_ = saved_bar;
      return arr;
    }
    arr->items.push_back(std::move(*first));
    while (Peek().t == Tok::kComma) {
      Next();
      if (Peek().t == Tok::kRBrack) break;
      auto e = ParseTerm();
      if (!e.ok()) return e;
      arr->items.push_back(std::move(*e));
    }
    if (auto st = Expect(Tok::kRBrack, "']' or ','"); !st.ok()) return st;
    nl_sensitive_ = saved;
    no_bar_ = saved_bar;
    return arr;
  }

  // `{}` object, `{k: v, ...}` object, `{a, b}` set, or a set/object comprehension.
  absl::StatusOr<TermPtr> ParseBraced() {
    const Token& open = Next();
    const bool saved = nl_sensitive_, saved_bar = no_bar_;
    nl_sensitive_ = false;
    auto t = std::make_unique<Term>();
    t->loc = LocOf(open);
    t->kind = TermKind::kObject;
    auto finish = [&]() -> absl::StatusOr<TermPtr> {
      nl_sensitive_ = saved;
      no_bar_ = saved_bar;
      return std::move(t);
    };
    if (Peek().t == Tok::kRBrace) {
      Next();
      return finish();
    }
    no_bar_ = true;
    auto first = ParseTerm();
    if (!first.ok()) return first;
    if (Peek().t == Tok::kColon) {
      Next();
      auto v = ParseTerm();
      if (!v.ok()) return v;
      no_bar_ = false;
      if (Peek().t == Tok::kBar) {
        Next();
        t->kind = TermKind::kObjectCompr;
        t->items.push_back(std::move(*first));
        t->items.push_back(std::move(*v));
        t->body = std::make_unique<Body>();
        if (auto st = ParseLiterals(t->body.get(), Tok::kRBrace); !st.ok()) return st;
        if (t->body->exprs.empty()) return Err(Peek(), "comprehension body must not be empty");
        if (auto st = Expect(Tok::kRBrace, "'}'"); !st.ok()) return st;
        return finish();
      }
      t->items.push_back(std::move(*first));
      t->items.push_back(std::move(*v));
      while (Peek().t == Tok::kComma) {
        Next();
        if (Peek().t == Tok::kRBrace) break;
        auto k = ParseTerm();
        if (!k.ok()) return k;
        if (auto st = Expect(Tok::kColon, "':' in object"); !st.ok()) return st;
        auto val = ParseTerm();
        if (!val.ok()) return val;
        t->items.push_back(std::move(*k));
        t->items.push_back(std::move(*val));
      }
      if (auto st = Expect(Tok::kRBrace, "'}' or ','"); !st.ok()) return st;
      return finish();
    }
    no_bar_ = false;
    if (Peek().t == Tok::kBar) {
      Next();
      t->kind = TermKind::kSetCompr;
      t->items.push_back(std::move(*first));
      t->body = std::make_unique<Body>();
      if (auto st = ParseLiterals(t->body.get(), Tok::kRBrace); !st.ok()) return st;
      if (t->body->exprs.empty()) return Err(Peek(), "comprehension body must not be empty");
      if (auto st = Expect(Tok::kRBrace, "'}'"); !st.ok()) return st;
      return finish();
    }
    t->kind = TermKind::kSet;
    t->items.push_back(std::move(*first));
    while (Peek().t == Tok::kComma) {
      Next();
      if (Peek().t == Tok::kRBrace) break;
      auto e = ParseTerm();
      if (!e.ok()) return e;
      t->items.push_back(std::move(*e));
    }
    if (auto st = Expect(Tok::kRBrace, "'}' or ','"); !st.ok()) return st;
    return finish();
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  int file_;
  std::string filename_;
  ParseLimits limits_;
  int depth_ = 0;
  bool nl_sensitive_ = false;
  bool no_bar_ = false;  // inside a comprehension head, '|' ends the head
};

}  // namespace

absl::StatusOr<std::unique_ptr<Module>> ParseModule(absl::string_view text, int file,
                                                    absl::string_view filename,
                                                    const ParseLimits& limits) {
  Lexer lexer(text, filename);
  auto toks = lexer.Run();
  if (!toks.ok()) return toks.status();
  Parser parser(std::move(*toks), file, filename, limits);
  return parser.ParseModuleBody();
}

absl::StatusOr<TermPtr> ParseQuery(absl::string_view text, const ParseLimits& limits) {
  Lexer lexer(text, "query");
  auto toks = lexer.Run();
  if (!toks.ok()) return toks.status();
  Parser parser(std::move(*toks), -1, "query", limits);
  return parser.ParseQueryTerm();
}

}  // namespace cocoon::policy
