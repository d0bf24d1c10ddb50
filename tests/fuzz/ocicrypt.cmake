# ocicrypt parsers of outside input: layer options JSON, key/pubopts annotations, manifests and
# indexes.
cocoon_fuzz(ocicrypt_options SRCS ocicrypt_options_fuzz.cc DEPS cocoon_ocicrypt)
cocoon_fuzz(ocicrypt_annotations SRCS ocicrypt_annotations_fuzz.cc DEPS cocoon_ocicrypt)
cocoon_fuzz(ocicrypt_image SRCS ocicrypt_image_fuzz.cc DEPS cocoon_ocicrypt)
