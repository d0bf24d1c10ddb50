# Fuzz targets of src/crypto (JOSE parsers); seeds in corpus/<target>/.
cocoon_fuzz(jwe_parse_fuzz SRCS jwe_parse_fuzz.cc DEPS cocoon_crypto)
cocoon_fuzz(jwk_parse_fuzz SRCS jwk_parse_fuzz.cc DEPS cocoon_crypto)
cocoon_fuzz(jws_verify_fuzz SRCS jws_verify_fuzz.cc DEPS cocoon_crypto)
