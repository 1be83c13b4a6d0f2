"""A TCP forwarder that runs beside a graded app, in its sandbox's network: 127.0.0.1:$LISTEN_PORT there reaches
$TARGET_HOST:$TARGET_PORT (the provider, by its service name), so the app uses the issuer URL the host uses.
At most 64 connections at once; each idle one closes after 60 seconds.
"""
import os
import socket
import threading

LISTEN_PORT = int(os.environ["LISTEN_PORT"])
TARGET = (os.environ["TARGET_HOST"], int(os.environ["TARGET_PORT"]))
SLOTS = threading.BoundedSemaphore(64)
IDLE = 60.0


def pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(client: socket.socket) -> None:
    try:
        upstream = socket.create_connection(TARGET, timeout=10)
        for s in (client, upstream):
            s.settimeout(IDLE)
        other = threading.Thread(target=pump, args=(upstream, client), daemon=True)
        other.start()
        pump(client, upstream)
        other.join()
        upstream.close()
    except OSError:
        pass
    finally:
        client.close()
        SLOTS.release()


def main() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", LISTEN_PORT))
    listener.listen(64)
    while True:
        client, _ = listener.accept()
        SLOTS.acquire()
        threading.Thread(target=serve, args=(client,), daemon=True).start()


if __name__ == "__main__":
    main()
