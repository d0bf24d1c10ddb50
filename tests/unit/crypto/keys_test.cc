#include "crypto/keys.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/testdata.h"
#include "unit/crypto/test_util.h"

namespace cocoon::crypto {
namespace {

using ::cocoon::testing::ReadTestdata;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kKeys[] = "generated/ocicrypt/keys/";

std::string KeyFile(const std::string& name) { return ReadTestdata(kKeys + name); }

TEST(PrivateKeyParse, ReadsPkcs8RsaPemAndMatchesItsPublicKey) {
  COCOON_TESTDATA_OR_SKIP(path, "generated/ocicrypt/keys/rsa_priv.pem");
  auto key = PrivateKey::Parse(KeyFile("rsa_priv.pem"));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->type(), KeyType::kRsa);
  EXPECT_EQ(key->bits(), 2048);
  auto pub = PublicKey::Parse(KeyFile("rsa_pub.pem"));
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_TRUE(key->GetPublic().Equals(*pub));
}

TEST(PrivateKeyParse, ReadsEcKeyAsPkcs8PemSec1PemAndSec1Der) {
  COCOON_TESTDATA_OR_SKIP(path, "generated/ocicrypt/keys/ec_priv.pem");
  auto pub = PublicKey::Parse(KeyFile("ec_pub.pem"));
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->type(), KeyType::kEcP256);
  for (const char* name : {"ec_priv.pem", "ec_priv_sec1.pem", "ec_priv_sec1.der"}) {
    SCOPED_TRACE(name);
    auto key = PrivateKey::Parse(KeyFile(name));
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_EQ(key->type(), KeyType::kEcP256);
    EXPECT_TRUE(key->GetPublic().Equals(*pub));
  }
}

TEST(PrivateKeyParse, DecryptsLegacyAndPkcs8EncryptedPemWithPassword) {
  COCOON_TESTDATA_OR_SKIP(path, "generated/ocicrypt/keys/rsa_priv_enc_legacy.pem");
  auto plain = PrivateKey::Parse(KeyFile("rsa_priv.pem"));
  ASSERT_TRUE(plain.ok()) << plain.status();
  for (const char* name : {"rsa_priv_enc_legacy.pem", "rsa_priv_enc_pkcs8.pem"}) {
    SCOPED_TRACE(name);
    auto key = PrivateKey::Parse(KeyFile(name), "1234");
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_TRUE(key->GetPublic().Equals(plain->GetPublic()));
  }
}

TEST(PrivateKeyParse, EncryptedKeyWithoutPasswordAsksForOne) {
  COCOON_TESTDATA_OR_SKIP(path, "generated/ocicrypt/keys/rsa_priv_enc_legacy.pem");
  EXPECT_ERROR_HAS(PrivateKey::Parse(KeyFile("rsa_priv_enc_legacy.pem")),
                   "is encrypted; a password is required");
  EXPECT_ERROR_HAS(PrivateKey::Parse(KeyFile("rsa_priv_enc_pkcs8.pem")),
                   "\"ENCRYPTED PRIVATE KEY\" is encrypted; a password is required");
}

TEST(PrivateKeyParse, WrongPasswordFails) {
  COCOON_TESTDATA_OR_SKIP(path, "generated/ocicrypt/keys/rsa_priv_enc_pkcs8.pem");
  EXPECT_ERROR_HAS(PrivateKey::Parse(KeyFile("rsa_priv_enc_pkcs8.pem"), "4321"), "wrong password");
  EXPECT_ERROR_HAS(PrivateKey::Parse(KeyFile("rsa_priv_enc_legacy.pem"), "4321"), "wrong password");
}

TEST(PrivateKeyParse, RejectsPublicKeysCertificatesEmptyAndGarbage) {
  COCOON_TESTDATA_OR_SKIP(path, "generated/ocicrypt/keys/cert.pem");
  EXPECT_ERROR_HAS(PrivateKey::Parse(KeyFile("rsa_pub.pem")),
                   "unsupported PEM block \"PUBLIC KEY\"");
  EXPECT_ERROR_HAS(PrivateKey::Parse(KeyFile("cert.pem")), "unsupported PEM block \"CERTIFICATE\"");
  EXPECT_ERROR_HAS(PrivateKey::Parse(KeyFile("empty.key")), "empty input");
  EXPECT_ERROR_HAS(PrivateKey::Parse(KeyFile("garbage.txt")), "cannot decode");
}

TEST(PrivateKeyParse, RejectsDerPublicKey) {
  auto key = PrivateKey::Generate(KeyType::kEcP256);
  ASSERT_TRUE(key.ok()) << key.status();
  auto der = key->GetPublic().ToDer();
  ASSERT_TRUE(der.ok());
  EXPECT_FALSE(PrivateKey::Parse(*der).ok());
}

TEST(PublicKeyParse, TakesTheKeyOfACertificate) {
  COCOON_TESTDATA_OR_SKIP(path, "generated/ocicrypt/keys/cert.pem");
  auto pub = PublicKey::Parse(KeyFile("cert.pem"));
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->type(), KeyType::kRsa);
  EXPECT_EQ(pub->bits(), 2048);
}

TEST(PublicKeyParse, ReadsGuestComponentsFixtures) {
  COCOON_TESTDATA_OR_SKIP(path, "guest-components/ocicrypt-rs/data/public_key.pem");
  const std::string dir = "guest-components/ocicrypt-rs/data/";
  auto pem = PublicKey::Parse(ReadTestdata(dir + "public_key.pem"));
  ASSERT_TRUE(pem.ok()) << pem.status();
  auto ec_der = PublicKey::Parse(ReadTestdata(dir + "public_key_ec.der"));
  ASSERT_TRUE(ec_der.ok()) << ec_der.status();
  EXPECT_TRUE(IsEcKeyType(ec_der->type()));
  auto cert = PublicKey::Parse(ReadTestdata(dir + "public_certificate.pem"));
  ASSERT_TRUE(cert.ok()) << cert.status();
  for (const char* name : {"private_key.pem", "private_key8.pem", "private_key.der",
                           "private_key8.der", "private_key_ec.der"}) {
    SCOPED_TRACE(name);
    auto key = PrivateKey::Parse(ReadTestdata(dir + name));
    EXPECT_TRUE(key.ok()) << key.status();
  }
}

TEST(PublicKeyParse, RejectsPrivateKeysEmptyAndGarbage) {
  COCOON_TESTDATA_OR_SKIP(path, "generated/ocicrypt/keys/rsa_priv.pem");
  EXPECT_ERROR_HAS(PublicKey::Parse(KeyFile("rsa_priv.pem")),
                   "unsupported PEM block \"PRIVATE KEY\"");
  EXPECT_ERROR_HAS(PublicKey::Parse(""), "empty input");
  EXPECT_ERROR_HAS(PublicKey::Parse("hello\n"), "neither SubjectPublicKeyInfo");
  EXPECT_ERROR_HAS(PublicKey::Parse("-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----\n"),
                   "PEM");
}

TEST(PublicKeyParse, ReadsPkcs1RsaPublicKey) {
  // RFC 8017 RSAPublicKey in PEM, as `openssl rsa -RSAPublicKey_out` writes it: take the SPKI
  // DER of a generated key and strip the AlgorithmIdentifier by re-encoding from n and e.
  auto key = PrivateKey::Generate(KeyType::kRsa);
  ASSERT_TRUE(key.ok()) << key.status();
  auto numbers = key->GetPublic().GetRsaNumbers();
  ASSERT_TRUE(numbers.ok());
  auto der_int = [](const std::string& v) {
    std::string body = v;
    if (!body.empty() && (static_cast<uint8_t>(body[0]) & 0x80)) body.insert(0, 1, '\0');
    std::string out = "\x02";
    if (body.size() < 128) {
      out += static_cast<char>(body.size());
    } else {
      out += "\x82";
      out += static_cast<char>(body.size() >> 8);
      out += static_cast<char>(body.size() & 0xff);
    }
    return out + body;
  };
  const std::string ints = der_int(numbers->n) + der_int(numbers->e);
  std::string seq = "\x30\x82";
  seq += static_cast<char>(ints.size() >> 8);
  seq += static_cast<char>(ints.size() & 0xff);
  seq += ints;
  auto from_der = PublicKey::Parse(seq);
  ASSERT_TRUE(from_der.ok()) << from_der.status();
  EXPECT_TRUE(from_der->Equals(key->GetPublic()));
  const std::string pem =
      "-----BEGIN RSA PUBLIC KEY-----\n" + Base64Encode(seq) + "\n-----END RSA PUBLIC KEY-----\n";
  auto from_pem = PublicKey::Parse(pem);
  ASSERT_TRUE(from_pem.ok()) << from_pem.status();
  EXPECT_TRUE(from_pem->Equals(key->GetPublic()));
}

class KeyTypeTest : public ::testing::TestWithParam<KeyType> {};

TEST_P(KeyTypeTest, GeneratedKeyRoundTripsThroughPkcs8AndSpki) {
  auto key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->type(), GetParam());
  auto pem = key->ToPkcs8Pem();
  ASSERT_TRUE(pem.ok()) << pem.status();
  EXPECT_THAT(std::string(pem->view()), StartsWith("-----BEGIN PRIVATE KEY-----"));
  auto parsed = PrivateKey::Parse(pem->view());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->GetPublic().Equals(key->GetPublic()));
  auto der = key->ToPkcs8Der();
  ASSERT_TRUE(der.ok()) << der.status();
  auto parsed_der = PrivateKey::Parse(der->view());
  ASSERT_TRUE(parsed_der.ok()) << parsed_der.status();
  EXPECT_TRUE(parsed_der->GetPublic().Equals(key->GetPublic()));

  const PublicKey pub = key->GetPublic();
  auto spki_pem = pub.ToPem();
  auto spki_der = pub.ToDer();
  ASSERT_TRUE(spki_pem.ok() && spki_der.ok());
  auto from_pem = PublicKey::Parse(*spki_pem);
  auto from_der = PublicKey::Parse(*spki_der);
  ASSERT_TRUE(from_pem.ok() && from_der.ok());
  EXPECT_TRUE(from_pem->Equals(pub));
  EXPECT_TRUE(from_der->Equals(pub));
  EXPECT_EQ(from_der->type(), GetParam());
}

TEST_P(KeyTypeTest, RawComponentsRebuildTheSameKey) {
  auto key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok()) << key.status();
  const PublicKey pub = key->GetPublic();
  switch (GetParam()) {
    case KeyType::kRsa: {
      auto numbers = key->GetRsaNumbers();
      ASSERT_TRUE(numbers.ok()) << numbers.status();
      EXPECT_FALSE(numbers->p.empty());
      auto rebuilt = PrivateKey::FromRsa(*numbers);
      ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
      EXPECT_TRUE(rebuilt->GetPublic().Equals(pub));
      auto pub_numbers = pub.GetRsaNumbers();
      ASSERT_TRUE(pub_numbers.ok());
      auto rebuilt_pub = PublicKey::FromRsa(pub_numbers->n, pub_numbers->e);
      ASSERT_TRUE(rebuilt_pub.ok()) << rebuilt_pub.status();
      EXPECT_TRUE(rebuilt_pub->Equals(pub));
      break;
    }
    case KeyType::kEd25519: {
      auto seed = key->GetEd25519Seed();
      ASSERT_TRUE(seed.ok());
      auto rebuilt = PrivateKey::FromEd25519(seed->view());
      ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
      EXPECT_TRUE(rebuilt->GetPublic().Equals(pub));
      auto raw = pub.GetEd25519();
      ASSERT_TRUE(raw.ok());
      auto rebuilt_pub = PublicKey::FromEd25519(*raw);
      ASSERT_TRUE(rebuilt_pub.ok());
      EXPECT_TRUE(rebuilt_pub->Equals(pub));
      break;
    }
    default: {
      auto d = key->GetEcPrivateScalar();
      auto point = pub.GetEcPoint();
      ASSERT_TRUE(d.ok() && point.ok());
      EXPECT_EQ(d->size(), EcFieldSize(GetParam()));
      EXPECT_EQ(point->x.size(), EcFieldSize(GetParam()));
      auto rebuilt = PrivateKey::FromEc(GetParam(), d->view(), point->x, point->y);
      ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
      EXPECT_TRUE(rebuilt->GetPublic().Equals(pub));
      auto rebuilt_pub = PublicKey::FromEcPoint(GetParam(), point->x, point->y);
      ASSERT_TRUE(rebuilt_pub.ok()) << rebuilt_pub.status();
      EXPECT_TRUE(rebuilt_pub->Equals(pub));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, KeyTypeTest,
                         ::testing::Values(KeyType::kRsa, KeyType::kEcP256, KeyType::kEcP384,
                                           KeyType::kEcP521, KeyType::kEd25519));

TEST(PublicKeyFromEcPoint, RejectsPointOffTheCurve) {
  auto key = PrivateKey::Generate(KeyType::kEcP256);
  ASSERT_TRUE(key.ok());
  auto point = key->GetPublic().GetEcPoint();
  ASSERT_TRUE(point.ok());
  std::string y = point->y;
  y[31] ^= 1;
  EXPECT_ERROR_HAS(PublicKey::FromEcPoint(KeyType::kEcP256, point->x, y), "not on the curve");
  EXPECT_ERROR_HAS(PublicKey::FromEcPoint(KeyType::kEcP256, point->x, point->y.substr(1)),
                   "must be 32 bytes");
  EXPECT_ERROR_HAS(PublicKey::FromEcPoint(KeyType::kRsa, point->x, point->y), "not an EC curve");
}

TEST(PrivateKeyFromEc, RejectsScalarThatDoesNotMatchThePoint) {
  auto a = PrivateKey::Generate(KeyType::kEcP256);
  auto b = PrivateKey::Generate(KeyType::kEcP256);
  ASSERT_TRUE(a.ok() && b.ok());
  auto d = a->GetEcPrivateScalar();
  auto point = b->GetPublic().GetEcPoint();
  ASSERT_TRUE(d.ok() && point.ok());
  EXPECT_ERROR_HAS(PrivateKey::FromEc(KeyType::kEcP256, d->view(), point->x, point->y),
                   "does not match");
}

TEST(PublicKeyFromRsa, RejectsSmallModulusAndEvenExponent) {
  EXPECT_ERROR_HAS(PublicKey::FromRsa(std::string(64, '\xc3'), std::string("\x01\x00\x01", 3)),
                   "outside the supported range");
  EXPECT_ERROR_HAS(PublicKey::FromRsa(std::string(256, '\xc3'), "\x02"), "e must be odd");
  EXPECT_ERROR_HAS(PublicKey::FromRsa("", "\x03"), "empty");
}

TEST(PrivateKeyGenerate, RejectsWeakRsaSize) {
  EXPECT_ERROR_HAS(PrivateKey::Generate(KeyType::kRsa, 1024), "outside 2048..8192");
}

TEST(PublicKey, CopiesShareTheKeyAndMovedFromKeysStayUsable) {
  auto key = PrivateKey::Generate(KeyType::kEcP256);
  ASSERT_TRUE(key.ok());
  PublicKey a = key->GetPublic();
  PublicKey b = a;
  EXPECT_EQ(a.get(), b.get());
  PublicKey c = std::move(b);
  EXPECT_TRUE(c.Equals(a));
  EXPECT_TRUE(b.ToDer().ok());  // NOLINT(bugprone-use-after-move): documented to stay valid
  PrivateKey moved = *std::move(key);
  EXPECT_TRUE(moved.GetPublic().Equals(a));
}

TEST(PublicKey, DistinguishesDifferentKeys) {
  auto a = PrivateKey::Generate(KeyType::kEcP256);
  auto b = PrivateKey::Generate(KeyType::kEcP256);
  auto c = PrivateKey::Generate(KeyType::kEd25519);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_FALSE(a->GetPublic().Equals(b->GetPublic()));
  EXPECT_FALSE(a->GetPublic().Equals(c->GetPublic()));
}

TEST(KeyType, NamesAndSizes) {
  EXPECT_EQ(KeyTypeName(KeyType::kEcP521), "EC P-521");
  EXPECT_EQ(EcFieldSize(KeyType::kEcP521), 66u);
  EXPECT_EQ(EcFieldSize(KeyType::kRsa), 0u);
  EXPECT_EQ(JoseCurveName(KeyType::kEcP384), "P-384");
  EXPECT_FALSE(IsEcKeyType(KeyType::kEd25519));
}

}  // namespace
}  // namespace cocoon::crypto
