// Stateless RCAR sessions: the kbs-session-id cookie is an AES-256-GCM sealed record, so any
// replica holding the same sealing key continues a handshake that another one started.
//
// Cookie value: base64url(version byte 0x02 || 12-byte IV || ciphertext || 16-byte tag); the
// AAD binds the version and a fixed label. The record is
//   state (u8), expiry (u64 BE), attest-by (u64 BE), nonce, TEE name, token (u32 BE length each)
// where the token is empty until /attest succeeds. The session expires at the time fixed by
// /auth (attestation does not extend it); its challenge must be answered by attest-by, which
// /auth sets to min(expiry, now + [session] challenge_timeout_sec).
//
// A NonceCache remembers the nonces of successful attestations until their attest-by time, so
// one challenge cannot be answered twice on one replica. Bounding the challenge's life, rather
// than the session's, is what keeps the cache small: at 1,500 attestations a second it holds
// about 90,000 entries (~1.5 MiB) with the 60 s default, against 450,000 for a 5-minute session.
#ifndef COCOON_KBS_SESSION_H_
#define COCOON_KBS_SESSION_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/secret_bytes.h"

namespace cocoon::kbs {

inline constexpr absl::string_view kSessionCookieName = "kbs-session-id";

struct Session {
  enum class State : uint8_t { kAuthed = 1, kAttested = 2 };
  State state = State::kAuthed;
  std::string nonce;  // the challenge nonce as sent (base64 text)
  std::string tee;    // normalized TEE name
  int64_t expires_unix = 0;
  int64_t attest_by_unix = 0;  // the challenge must be answered before this
  std::string token;           // Attested only
};

class SessionSealer {
 public:
  // `key`: 32 bytes.
  static absl::StatusOr<std::unique_ptr<SessionSealer>> Create(SecretBytes key);
  // A fresh random key (one replica only).
  static std::unique_ptr<SessionSealer> CreateEphemeral();
  // Reads a key file: 32 raw bytes, or their base64/hex text.
  static absl::StatusOr<std::unique_ptr<SessionSealer>> FromFile(const std::string& path);

  std::string Seal(const Session& session) const;
  // Fails with kUnauthenticated "session not found" for anything that does not open (forged,
  // truncated, sealed with another key) and "session expired." when past its expiry.
  absl::StatusOr<Session> Open(absl::string_view cookie, absl::Time now) const;

 private:
  explicit SessionSealer(SecretBytes key) : key_(std::move(key)) {}
  SecretBytes key_;
};

class NonceCache {
 public:
  // Records `nonce` until `expires`; false if it is already recorded and not yet expired.
  bool Insert(absl::string_view nonce, int64_t expires_unix, int64_t now_unix);
  size_t size() const;

 private:
  // Entries are grouped by the 10-second slot in which they expire, so expiry drops whole
  // tables instead of scanning entries.
  struct Bucket {
    int64_t slot;  // entries expire by the end of this slot (unix seconds / kSlotSeconds)
    absl::flat_hash_set<uint64_t> entries;
  };
  static constexpr int64_t kSlotSeconds = 10;
  mutable absl::Mutex mu_;
  std::deque<Bucket> buckets_;  // ordered by slot
  uint64_t salt_ = 0;
};

}  // namespace cocoon::kbs

#endif  // COCOON_KBS_SESSION_H_
