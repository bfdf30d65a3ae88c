/* AttestMQ client library, C API (libattestmq-client.so). docs/client-c-api.md.
 *
 * A blocking MQTT 3.1.1 / 5.0 client that can verify, before it sends a single application
 * message, that the broker at the other end of this TLS 1.3 session runs in a TEE with the
 * code its policy expects (docs/attestation.md, transport B). For bindings from other
 * languages: opaque handles, plain C types, and no C++ exception ever crosses this boundary.
 *
 * Every call that can fail returns an attestmq_result; the handle then keeps a sentence that
 * says why (attestmq_error) and, when attestation was rejected, the name of the check that
 * failed (attestmq_failed_check). Strings returned by the library belong to the handle they
 * came from and stay valid until the next call on that handle or until it is freed. A handle
 * is not thread-safe: use one from one thread at a time. */
#ifndef ATTESTMQ_CLIENT_H
#define ATTESTMQ_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum attestmq_result {
  ATTESTMQ_OK = 0,
  ATTESTMQ_ERROR_INVALID = 1,              /* a bad argument, policy, or call in the wrong state */
  ATTESTMQ_ERROR_NETWORK = 2,              /* name lookup, connect, read or write failed */
  ATTESTMQ_ERROR_TLS = 3,                  /* the TLS handshake failed (e.g. certificate) */
  ATTESTMQ_ERROR_TIMEOUT = 4,              /* the awaited packet did not arrive in time */
  ATTESTMQ_ERROR_CONNECTION_CLOSED = 5,    /* the broker closed the connection */
  ATTESTMQ_ERROR_PROTOCOL = 6,             /* the broker broke an MQTT rule */
  ATTESTMQ_ERROR_REFUSED = 7,              /* CONNACK refused: attestmq_reason_code */
  ATTESTMQ_ERROR_SERVER_DISCONNECT = 8,    /* the broker sent DISCONNECT: attestmq_reason_code */
  ATTESTMQ_ERROR_REJECTED = 9,             /* PUBACK/SUBACK/... carried a failure code */
  ATTESTMQ_ERROR_ATTESTATION = 10,         /* the broker's evidence failed a check:
                                              attestmq_failed_check names it */
  ATTESTMQ_ERROR_NO_MEMORY = 11
} attestmq_result;

typedef struct attestmq_client attestmq_client;
typedef struct attestmq_message attestmq_message;

typedef struct attestmq_connect_options {
  const char *host;          /* required: name or address of the broker */
  uint16_t port;             /* required */
  const char *cafile;        /* PEM CA certificates: TLS, the broker's name checked; NULL: TCP */
  int mqtt_version;          /* 5, or 4 for MQTT 3.1.1 (no attestation: it has no AUTH packet) */
  const char *client_id;     /* NULL or "": the broker assigns one (MQTT 5) */
  const char *username;      /* NULL: none */
  const char *password;      /* NULL: none; needs username */
  unsigned timeout_ms;       /* for each exchange with the broker; 0: 10,000 */
} attestmq_connect_options;

/* A new, unconnected client; NULL only when memory is exhausted. */
attestmq_client *attestmq_client_new(void);
/* Closes the connection if still open (without DISCONNECT) and frees the handle; NULL is
 * allowed. */
void attestmq_client_free(attestmq_client *client);

/* Connects (TCP, TLS if options->cafile, MQTT CONNECT/CONNACK) without attestation. */
attestmq_result attestmq_connect(attestmq_client *client, const attestmq_connect_options *options);

/* Connects with attestation (docs/attestation.md section 7): TLS 1.3 only, MQTT 5, and the
 * broker's evidence, bound to this TLS session, verified against `policy` before CONNACK:
 * `policy` is a policy file (docs/policy.md) or, when its first non-blank character is '{',
 * the policy's JSON text itself (relative paths in it are resolved against the working
 * directory). Needs
 * options->cafile. On ATTESTMQ_ERROR_ATTESTATION, attestmq_failed_check names the check
 * ("policy.module_hash") and nothing was sent after CONNECT but DISCONNECT. */
attestmq_result attestmq_attest(attestmq_client *client, const attestmq_connect_options *options,
                                const char *policy);

/* Publishes `length` bytes of `payload` (NULL when length is 0) with QoS 0, 1 or 2, completing
 * the acknowledgement flow. */
attestmq_result attestmq_publish(attestmq_client *client, const char *topic, const void *payload,
                                 size_t length, int qos, int retain);

/* Subscribes to one topic filter with QoS 0, 1 or 2; a refused filter is
 * ATTESTMQ_ERROR_REJECTED with the SUBACK code in attestmq_reason_code. */
attestmq_result attestmq_subscribe(attestmq_client *client, const char *filter, int qos);

/* Waits at most timeout_ms for the next message; on success *message is a new handle for the
 * caller to free with attestmq_message_free. */
attestmq_result attestmq_receive(attestmq_client *client, unsigned timeout_ms,
                                 attestmq_message **message);

/* Sends DISCONNECT (normal disconnection) and closes the connection. */
attestmq_result attestmq_disconnect(attestmq_client *client);

/* Why the last call failed ("" after a success). */
const char *attestmq_error(const attestmq_client *client);
/* After ATTESTMQ_ERROR_ATTESTATION, the failed check of docs/attestation.md section 7.5
 * ("session.binder", "policy.allow_simulated", ...); "" otherwise. */
const char *attestmq_failed_check(const attestmq_client *client);
/* The reason code of a refusal (CONNACK, SUBACK, PUBACK, DISCONNECT); 0 when none. */
int attestmq_reason_code(const attestmq_client *client);
/* After a successful attestmq_attest, a claim the verification established (names as
 * `attestmq attest --json` prints them: "module_sha256", "binder", "nonce", "measurement",
 * ...); NULL if there is no such claim. */
const char *attestmq_attested_claim(const attestmq_client *client, const char *name);

const char *attestmq_message_topic(const attestmq_message *message);
/* The payload's bytes, valid until the message is freed; *length gets their count. */
const void *attestmq_message_payload(const attestmq_message *message, size_t *length);
int attestmq_message_qos(const attestmq_message *message);
int attestmq_message_retain(const attestmq_message *message);
void attestmq_message_free(attestmq_message *message);

#ifdef __cplusplus
}
#endif

#endif /* ATTESTMQ_CLIENT_H */
