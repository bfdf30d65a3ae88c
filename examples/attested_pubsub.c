/* An attested round trip through the C API (include/attestmq/client.h, docs/client-c-api.md):
 * verify the broker against a policy, subscribe to a topic, publish one message to it and
 * print what comes back.
 *
 *   attested_pubsub HOST PORT CAFILE POLICY TOPIC MESSAGE
 *
 * POLICY is a policy file or its JSON text. Exit status: 0 the message came back, 1 the
 * attestation was rejected (the failed check is printed), 2 usage, 3 any other failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attestmq/client.h"

static int fail(attestmq_client *client, const char *what) {
  fprintf(stderr, "%s: %s\n", what, attestmq_error(client));
  attestmq_client_free(client);
  return 3;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s HOST PORT CAFILE POLICY TOPIC MESSAGE\n", argv[0]);
    return 2;
  }
  attestmq_connect_options options = {0};
  options.host = argv[1];
  options.port = (uint16_t)strtoul(argv[2], NULL, 10);
  options.cafile = argv[3];
  options.mqtt_version = 5;
  options.client_id = "attested-pubsub";

  attestmq_client *client = attestmq_client_new();
  if (client == NULL) return 3;
  attestmq_result result = attestmq_attest(client, &options, argv[4]);
  if (result == ATTESTMQ_ERROR_ATTESTATION) {
    printf("rejected: %s\n", attestmq_failed_check(client));
    attestmq_client_free(client);
    return 1;
  }
  if (result != ATTESTMQ_OK) return fail(client, "connect");
  printf("verified: module %s\n", attestmq_attested_claim(client, "module_sha256"));

  if (attestmq_subscribe(client, argv[5], 1) != ATTESTMQ_OK) return fail(client, "subscribe");
  if (attestmq_publish(client, argv[5], argv[6], strlen(argv[6]), 1, 0) != ATTESTMQ_OK) {
    return fail(client, "publish");
  }
  attestmq_message *message = NULL;
  if (attestmq_receive(client, 10000, &message) != ATTESTMQ_OK) return fail(client, "receive");
  size_t length = 0;
  const void *payload = attestmq_message_payload(message, &length);
  printf("%s %.*s\n", attestmq_message_topic(message), (int)length, (const char *)payload);
  attestmq_message_free(message);

  result = attestmq_disconnect(client);
  attestmq_client_free(client);
  return result == ATTESTMQ_OK ? 0 : 3;
}
