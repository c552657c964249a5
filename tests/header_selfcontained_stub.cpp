// Keeps the header self-containment libraries non-empty when there are no
// headers to check (see tests/meson.build).
[[maybe_unused]] static void evlog_header_selfcontained_stub() {}
