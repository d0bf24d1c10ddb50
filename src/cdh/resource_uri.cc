#include "cdh/resource_uri.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace cocoon::cdh {
namespace {

absl::Status UriError(absl::string_view uri, absl::string_view what) {
  // Quote at most a bounded prefix: the input may be hostile and large.
  std::string shown(uri.substr(0, 200));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return absl::InvalidArgumentError(
      absl::StrCat("resource URI \"", shown, uri.size() > 200 ? "..." : "", "\": ", what));
}

bool ValidPluginName(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string ResourceUri::ResourcePath() const { return absl::StrJoin(segments, "/"); }

bool ResourceUri::IsRepoTypeTag() const {
  if (segments.size() != 3) return false;
  for (const std::string& s : segments) {
    if (s.empty()) return false;
  }
  return true;
}

std::string ResourceUri::ToString() const {
  std::string out = plugin == "resource" ? "kbs://" : absl::StrCat("kbs+", plugin, "://");
  absl::StrAppend(&out, host, "/", ResourcePath());
  if (!query.empty()) absl::StrAppend(&out, "?", query);
  return out;
}

absl::StatusOr<ResourceUri> ParseResourceUri(absl::string_view uri) {
  if (uri.size() > kMaxResourceUriSize) {
    return UriError(uri, absl::StrCat("longer than ", kMaxResourceUriSize, " bytes"));
  }
  for (char c : uri) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return UriError(uri, "contains whitespace or control characters");
  }
  const size_t colon = uri.find(':');
  if (colon == absl::string_view::npos) {
    return UriError(uri, "no scheme (expected kbs:///<repo>/<type>/<tag>)");
  }
  const std::string scheme = absl::AsciiStrToLower(uri.substr(0, colon));
  ResourceUri out;
  if (scheme == "kbs") {
    out.plugin = "resource";
  } else if (absl::StartsWith(scheme, "kbs+")) {
    out.plugin = scheme.substr(4);
    if (!ValidPluginName(out.plugin)) {
      return UriError(uri, "empty or invalid plugin name after \"kbs+\"");
    }
  } else {
    return UriError(uri, absl::StrCat("scheme must be kbs or kbs+<plugin>, got \"",
                                      uri.substr(0, std::min<size_t>(colon, 32)), "\""));
  }
  absl::string_view rest = uri.substr(colon + 1);
  if (!absl::ConsumePrefix(&rest, "//")) {
    return UriError(uri, "expected \"//\" after the scheme (kbs:///<repo>/<type>/<tag>)");
  }
  if (const size_t hash = rest.find('#'); hash != absl::string_view::npos) {
    return UriError(uri, "fragments ('#') are not allowed");
  }
  if (const size_t q = rest.find('?'); q != absl::string_view::npos) {
    out.query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  const size_t slash = rest.find('/');
  out.host = std::string(rest.substr(0, slash));
  if (slash == absl::string_view::npos || slash + 1 >= rest.size()) {
    return UriError(uri, "no resource path (expected kbs:///<repo>/<type>/<tag>)");
  }
  for (absl::string_view seg : absl::StrSplit(rest.substr(slash + 1), '/')) {
    if (seg == "." || seg == "..") {
      return UriError(uri, "\".\" and \"..\" path segments are not allowed");
    }
    out.segments.emplace_back(seg);
  }
  return out;
}

}  // namespace cocoon::cdh
