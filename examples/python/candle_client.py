#!/usr/bin/env python3
"""A candle-stream client in Python, written from the documented wire formats only
(README.md "Cookbook" and schemas/README.md "Wire format").

It announces classes with their CLIP text features, sends labelled image features, sends
unlabelled images (as features) to score, and prints the decoded prediction of every image it
sent. Needs Debian's python3-confluent-kafka (librdkafka) and python3-avro; in registry mode
also python3-requests (a dependency of python3-confluent-kafka's registry client).

  candle_client.py --bootstrap-servers localhost:9092                      # single-object
  candle_client.py --bootstrap-servers localhost:9092 --serde registry \\
      --registry-url http://localhost:8081/apis/ccompat/v7                 # Confluent framing

Features here are made up (random unit text vectors, images near their class's text), so the
run checks plumbing and decoding, not accuracy. Exit status 0 when every image got exactly one
prediction before --timeout, 1 otherwise.
"""
import argparse
import datetime
import io
import json
import math
import os
import random
import struct
import sys
import time
import uuid

import avro.io
import avro.schema
from confluent_kafka import Consumer, KafkaException, Producer

# Avro single-object encoding: C3 01, the writer schema's 8-byte little-endian CRC-64-AVRO
# fingerprint, the datum. The fingerprints are those of schemas/README.md ("Fingerprints"): they
# are computed over the parsing canonical form as Java's Avro writes it, which is not always what
# other libraries compute (python3-avro keeps {"type": "long"} for a timestamp-millis field), so
# they are copied here rather than computed.
SINGLE_OBJECT_MARKER = b"\xc3\x01"
FINGERPRINTS = {
    "ClassAnnouncement": "d922a43f445b72cd",
    "LabeledImage": "1361b0a907891069",
    "ImageToScore": "bcb6267c2d659727",
    "Prediction": "31abe5bd1c5af458",
}

TOPICS = {
    "ClassAnnouncement": "candle.classes.announcements",
    "LabeledImage": "candle.images.labeled",
    "ImageToScore": "candle.images.unlabeled",
    "Prediction": "candle.predictions",
}


def load_schemas(folder):
    """The current schemas, parsed from the repository's .avsc files."""
    return {name: avro.schema.parse(open(os.path.join(folder, name + ".avsc")).read()) for name in TOPICS}


def datum_bytes(schema, record):
    out = io.BytesIO()
    avro.io.DatumWriter(schema).write(record, avro.io.BinaryEncoder(out))
    return out.getvalue()


class SingleObjectCodec:
    """Avro single-object encoding with the documented fingerprints; no registry."""

    def __init__(self, schemas):
        self.schemas = schemas
        self.by_fingerprint = {bytes.fromhex(FINGERPRINTS[n]): n for n in schemas}

    def encode(self, topic, name, record):
        return SINGLE_OBJECT_MARKER + bytes.fromhex(FINGERPRINTS[name]) + datum_bytes(self.schemas[name], record)

    def decode(self, value):
        if value[:2] != SINGLE_OBJECT_MARKER:
            raise ValueError("not single-object encoded: starts with %s" % value[:2].hex())
        name = self.by_fingerprint.get(value[2:10])
        if name is None:
            raise ValueError("unknown writer fingerprint %s" % value[2:10].hex())
        return avro.io.DatumReader(self.schemas[name]).read(avro.io.BinaryDecoder(io.BytesIO(value[10:])))


class RegistryCodec:
    """Confluent framing (byte 0, 4-byte big-endian schema id, the datum) through the registry,
    with python3-confluent-kafka's own serializer: subjects <topic>-value, writer schemas
    resolved by id."""

    def __init__(self, schemas, url):
        from confluent_kafka.avro import CachedSchemaRegistryClient
        from confluent_kafka.avro.serializer.message_serializer import MessageSerializer
        self.schemas = schemas
        self.serializer = MessageSerializer(CachedSchemaRegistryClient({"url": url}))

    def encode(self, topic, name, record):
        return self.serializer.encode_record_with_schema(topic, self.schemas[name], record, is_key=False)

    def decode(self, value):
        return self.serializer.decode_message(value)


def unit(v):
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bootstrap-servers", required=True)
    p.add_argument("--serde", choices=["single-object", "registry"], default="single-object")
    p.add_argument("--registry-url", help="the registry's Confluent-compatible API (registry mode)")
    p.add_argument("--schemas", default=os.path.join(here, "..", "..", "schemas", "src", "main", "avro"))
    p.add_argument("--width", type=int, default=512, help="feature width D the services run with")
    p.add_argument("--classes", type=int, default=5)
    p.add_argument("--shots", type=int, default=4, help="labelled images per class")
    p.add_argument("--images", type=int, default=20, help="unlabelled images to score")
    p.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for the predictions")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    if args.serde == "registry" and not args.registry_url:
        p.error("--serde registry needs --registry-url")

    schemas = load_schemas(args.schemas)
    codec = RegistryCodec(schemas, args.registry_url) if args.serde == "registry" else SingleObjectCodec(schemas)
    rng = random.Random(args.seed)
    run = uuid.uuid4().hex[:8]
    now = datetime.datetime.now(datetime.timezone.utc)
    names = ["py_%s_%d" % (run, k) for k in range(args.classes)]
    texts = [unit([rng.gauss(0, 1) for _ in range(args.width)]) for _ in names]

    def image_near(k):
        noise = unit([rng.gauss(0, 1) for _ in range(args.width)])
        return unit([0.8 * t + 0.6 * e for t, e in zip(texts[k], noise)])

    producer = Producer({"bootstrap.servers": args.bootstrap_servers, "enable.idempotence": True, "acks": "all"})

    def send(name, key, record):
        topic = TOPICS[name]
        producer.produce(topic, key=key.encode("utf-8"), value=codec.encode(topic, name, record))

    for name, text in zip(names, texts):
        send("ClassAnnouncement", name, {"name": name, "promptTemplate": None, "prompt": None, "aliases": [],
                                         "textFeature": text})
    for k, name in enumerate(names):
        for s in range(args.shots):
            image_id = "%s-train-%d-%d" % (run, k, s)
            send("LabeledImage", image_id, {"id": image_id, "eventTime": now, "label": name, "imageBytes": None,
                                            "imageUri": None, "feature": image_near(k), "source": "python"})
    truth = {}
    for i in range(args.images):
        k = i % args.classes
        image_id = "%s-score-%d" % (run, i)
        truth[image_id] = names[k]
        send("ImageToScore", image_id, {"id": image_id, "eventTime": now, "imageBytes": None, "imageUri": None,
                                        "feature": image_near(k)})
    if producer.flush(30) != 0:
        print("error: not every record was acknowledged within 30 s", file=sys.stderr)
        return 1
    print("sent %d announcements, %d labelled features, %d images to score (%s)"
          % (len(names), len(names) * args.shots, len(truth), args.serde))

    # Predictions are written in transactions: read_committed sees each exactly once. Records with
    # prequential=true score labelled images before they are learnt from; an application that
    # wants only its own images' predictions skips them.
    consumer = Consumer({"bootstrap.servers": args.bootstrap_servers, "group.id": "python-client-" + run,
                         "isolation.level": "read_committed", "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.subscribe([TOPICS["Prediction"]])
    seen = {}
    top1 = 0
    deadline = time.monotonic() + args.timeout
    settle_until = None
    try:
        while time.monotonic() < deadline and (settle_until is None or time.monotonic() < settle_until):
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                raise KafkaException(msg.error())
            key = msg.key().decode("utf-8") if msg.key() else None
            if key not in truth:
                continue
            prediction = codec.decode(msg.value())
            if prediction["prequential"]:
                continue
            seen[key] = seen.get(key, 0) + 1
            best = prediction["topK"][0]
            top1 += best["className"] == truth[key]
            print("prediction %s version %d: %s %.3f (true %s)"
                  % (key, prediction["modelVersion"], best["className"], best["score"], truth[key]))
            if len(seen) == len(truth) and settle_until is None:
                settle_until = time.monotonic() + 3.0  # a duplicate would arrive about now
    finally:
        consumer.close()
    duplicates = sum(n - 1 for n in seen.values())
    print("predictions %d/%d top1 %d/%d duplicates %d" % (len(seen), len(truth), top1, len(truth), duplicates))
    return 0 if len(seen) == len(truth) and duplicates == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
