// docs/api.md, "Client authentication": the two configurations, for a server
// that requires client certificates and a client that keeps its key in a file.
#include "snippet_context.hpp"

void client_auth_snippet() {
#include "api_md/client_auth.inc"
}
