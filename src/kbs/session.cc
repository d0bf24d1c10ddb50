#include "kbs/session.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/status.h"
#include "crypto/aead.h"
#include "crypto/stream_cipher.h"

namespace cocoon::kbs {
namespace {

constexpr char kVersion = 0x02;
constexpr absl::string_view kAadLabel = "cocoon kbs session v1";
constexpr size_t kMaxField = 64 * 1024;

void PutU32(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutField(std::string* out, absl::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s.data(), s.size());
}

class Reader {
 public:
  explicit Reader(absl::string_view data) : data_(data) {}
  bool U8(uint8_t* v) {
    if (data_.empty()) return false;
    *v = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return true;
  }
  bool U64(uint64_t* v) {
    if (data_.size() < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) *v = (*v << 8) | static_cast<uint8_t>(data_[i]);
    data_.remove_prefix(8);
    return true;
  }
  bool Field(std::string* out) {
    if (data_.size() < 4) return false;
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<uint8_t>(data_[i]);
    data_.remove_prefix(4);
    if (n > kMaxField || n > data_.size()) return false;
    out->assign(data_.data(), n);
    data_.remove_prefix(n);
    return true;
  }
  bool done() const { return data_.empty(); }

 private:
  absl::string_view data_;
};

absl::Status NotFound() { return absl::UnauthenticatedError("session not found"); }

}  // namespace

absl::StatusOr<std::unique_ptr<SessionSealer>> SessionSealer::Create(SecretBytes key) {
  if (key.size() != 32) return absl::InvalidArgumentError("session sealing key must be 32 bytes");
  return std::unique_ptr<SessionSealer>(new SessionSealer(std::move(key)));
}

std::unique_ptr<SessionSealer> SessionSealer::CreateEphemeral() {
  SecretBytes key(32);
  if (!crypto::RandomFill(key.data(), key.size()).ok()) abort();
  return std::unique_ptr<SessionSealer>(new SessionSealer(std::move(key)));
}

absl::StatusOr<std::unique_ptr<SessionSealer>> SessionSealer::FromFile(const std::string& path) {
  COCOON_ASSIGN_OR_RETURN(std::string data, ReadFile(path, 4096));
  SecretBytes raw{absl::string_view(data)};
  SecureZero(data.data(), data.size());
  if (raw.size() != 32) {
    std::string text(raw.view());
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
      text.pop_back();
    }
    absl::StatusOr<std::string> decoded = HexDecode(text);
    if (!decoded.ok() || decoded->size() != 32) {
      decoded = Base64Decode(text, Base64Alphabet::kStandard, Base64Padding::kOptional);
    }
    SecureZero(text.data(), text.size());
    if (!decoded.ok() || decoded->size() != 32) {
      return absl::InvalidArgumentError(
          absl::StrCat("session sealing key ", path, ": expected 32 bytes (raw, hex or base64)"));
    }
    raw = SecretBytes(*decoded);
    SecureZero(decoded->data(), decoded->size());
  }
  return Create(std::move(raw));
}

std::string SessionSealer::Seal(const Session& session) const {
  std::string plain;
  plain.reserve(64 + session.nonce.size() + session.tee.size() + session.token.size());
  plain.push_back(static_cast<char>(session.state));
  PutU64(&plain, static_cast<uint64_t>(session.expires_unix));
  PutU64(&plain, static_cast<uint64_t>(session.attest_by_unix));
  PutField(&plain, session.nonce);
  PutField(&plain, session.tee);
  PutField(&plain, session.token);
  const std::string iv = crypto::RandomBytes(crypto::kGcmIvSize);
  std::string aad = absl::StrCat(std::string(1, kVersion), kAadLabel);
  std::string tag;
  absl::StatusOr<std::string> ct = crypto::AesGcmEncrypt(key_.view(), iv, plain, aad, &tag);
  if (!ct.ok()) abort();  // a 32-byte key and a 12-byte IV cannot fail
  return Base64UrlEncode(absl::StrCat(std::string(1, kVersion), iv, *ct, tag));
}

absl::StatusOr<Session> SessionSealer::Open(absl::string_view cookie, absl::Time now) const {
  if (cookie.size() > 16 * 1024) return NotFound();
  absl::StatusOr<std::string> raw = Base64UrlDecode(cookie);
  if (!raw.ok() || raw->size() < 1 + crypto::kGcmIvSize + crypto::kGcmTagSize + 9 ||
      (*raw)[0] != kVersion) {
    return NotFound();
  }
  absl::string_view r(*raw);
  const absl::string_view iv = r.substr(1, crypto::kGcmIvSize);
  const absl::string_view ct =
      r.substr(1 + crypto::kGcmIvSize, r.size() - 1 - crypto::kGcmIvSize - crypto::kGcmTagSize);
  const absl::string_view tag = r.substr(r.size() - crypto::kGcmTagSize);
  const std::string aad = absl::StrCat(std::string(1, kVersion), kAadLabel);
  absl::StatusOr<SecretBytes> plain = crypto::AesGcmDecrypt(key_.view(), iv, ct, aad, tag);
  if (!plain.ok()) return NotFound();
  Reader reader(plain->view());
  Session s;
  uint8_t state = 0;
  uint64_t exp = 0, attest_by = 0;
  if (!reader.U8(&state) || (state != 1 && state != 2) || !reader.U64(&exp) ||
      !reader.U64(&attest_by) || !reader.Field(&s.nonce) || !reader.Field(&s.tee) ||
      !reader.Field(&s.token) || !reader.done()) {
    return NotFound();
  }
  s.state = static_cast<Session::State>(state);
  s.expires_unix = static_cast<int64_t>(exp);
  s.attest_by_unix = static_cast<int64_t>(attest_by);
  if (absl::ToUnixSeconds(now) >= s.expires_unix) {
    return absl::UnauthenticatedError("session expired.");
  }
  return s;
}

bool NonceCache::Insert(absl::string_view nonce, int64_t expires_unix, int64_t now_unix) {
  absl::MutexLock lock(&mu_);
  if (salt_ == 0) {
    const std::string r = crypto::RandomBytes(8);
    std::memcpy(&salt_, r.data(), 8);
    salt_ |= 1;
  }
  const std::string digest = crypto::Sha256(
      absl::StrCat(absl::string_view(reinterpret_cast<const char*>(&salt_), sizeof(salt_)), nonce));
  uint64_t h = 0;
  std::memcpy(&h, digest.data(), 8);
  const int64_t now_slot = now_unix / kSlotSeconds;
  while (!buckets_.empty() && buckets_.front().slot < now_slot) buckets_.pop_front();
  for (const Bucket& b : buckets_) {
    if (b.entries.contains(h)) return false;
  }
  const int64_t slot = expires_unix / kSlotSeconds;
  auto it = buckets_.begin();
  while (it != buckets_.end() && it->slot < slot) ++it;
  if (it == buckets_.end() || it->slot != slot) it = buckets_.insert(it, Bucket{slot, {}});
  it->entries.insert(h);
  return true;
}

size_t NonceCache::size() const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const Bucket& b : buckets_) n += b.entries.size();
  return n;
}

}  // namespace cocoon::kbs
