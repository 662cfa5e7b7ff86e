"""A scripted embedding server on loopback, speaking the rest, OpenAI and Ollama dialects.

Every request is recorded (path, headers, JSON body). A path answers from its script first —
``server.script("/rest", (500, "boom"), (200, {...}))`` — then with its dialect's default:

    /rest          {"input": t}                   -> {"embedding": vec(t)}
    /rest/batch    {"inputs": [{"text": t}, ..]}  -> {"data": [{"vector": vec(t)}, ..]}
    /v1/embeddings {"model", "input": [..], "dimensions"?} -> {"data": [{"embedding": ..}, ..]}
    /api/embeddings {"model", "prompt": t}        -> {"embedding": vec(t)}   (404 unless model "nomic")
    /api/embed     {"model", "input": [..]}       -> {"embeddings": [..]}    (404 unless model "nomic")

``vec(t)`` is ``[len(t), t.count("a"), 1.0]``: three dimensions a test can check by hand.
"""
from __future__ import annotations

import ipaddress
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from engine.embedders import transport

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)


def allow_loopback(monkeypatch: Any) -> None:
    """What ``MEILI_EXPERIMENTAL_ALLOWED_IP_NETWORKS=127.0.0.0/8`` does: embedders may reach this
    server (upstream refuses non-global addresses by default); undone after the test."""
    monkeypatch.setattr(transport, "_allowed", LOOPBACK)


def vec(text: str, dims: int = 3) -> list[float]:
    head = [float(len(text)), float(text.count("a")), 1.0]
    return (head + [0.5] * dims)[:dims]


class EmbeddingServer:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.scripts: dict[str, list[tuple[int, object]]] = {}
        self.gates: dict[str, threading.Event] = {}  # a rest text whose answer waits for its event
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = json.loads(raw)
                text = body.get("input") if isinstance(body, dict) else None
                gate = server.gates.get(text) if isinstance(text, str) else None
                if gate is not None:
                    gate.wait()
                with server.lock:
                    server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    scripted = server.scripts.get(self.path)
                    answer = scripted.pop(0) if scripted else None
                status, payload = answer if answer else server.default(self.path, body)
                data = payload if isinstance(payload, str) else json.dumps(payload)
                encoded = data.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    def script(self, path: str, *answers: tuple[int, object]) -> None:
        self.scripts.setdefault(path, []).extend(answers)

    def hold(self, text: str) -> threading.Event:
        """Keep the answer to a request for ``text`` (rest single template) until the event is set:
        the test sees the engine while it waits, without timing anything."""
        event = threading.Event()
        self.gates[text] = event
        return event

    def texts(self, path: str) -> list[str]:
        """The texts sent to a rest path so far, in order (single and batch templates alike)."""
        with self.lock:
            bodies = [r["body"] for r in self.requests if r["path"] == path]
        out: list[str] = []
        for body in bodies:
            out.extend([body["input"]] if "input" in body else [item["text"] for item in body["inputs"]])
        return out

    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests]

    def default(self, path: str, body: dict) -> tuple[int, object]:
        if path == "/rest":
            return 200, {"embedding": vec(body["input"])}
        if path == "/rest/batch":
            return 200, {"data": [{"vector": vec(item["text"])} for item in body["inputs"]]}
        if path == "/v1/embeddings":
            dims = body.get("dimensions", {"text-embedding-3-large": 3072}.get(body["model"], 1536))
            return 200, {"data": [{"embedding": vec(t, dims), "index": i} for i, t in enumerate(body["input"])]}
        if path in ("/api/embeddings", "/api/embed"):
            if body["model"] != "nomic":
                return 404, {"error": f"model \"{body['model']}\" not found, try pulling it first"}
            if path == "/api/embeddings":
                return 200, {"embedding": vec(body["prompt"])}
            return 200, {"embeddings": [vec(t) for t in body["input"]]}
        return 404, "not here"

    def close(self) -> None:
        for event in self.gates.values():
            event.set()
        self.httpd.shutdown()
        self.httpd.server_close()
