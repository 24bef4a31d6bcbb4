// DirectReply, s3cache's own HTTP/1.1 exchange for object transfers over plain http: the bytes
// it sends, how it reads every framing of an answer and how little of a download it holds for a
// slow reader, against a loopback stub that writes exact answers (HTTP framing has no server to
// borrow that sends each of them on demand). Its S3 behaviour is tested against moto and s3rver
// with every object upload and download of tst_s3connection, tst_faults and the e2e tests, which
// go through it.

#include "s3/directreply.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <cerrno>
#include <cstring>
#include <functional>
#include <thread>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace s3cache;
using namespace Qt::StringLiterals;

namespace {

// One request as the stub received it.
struct Received
{
    int connection = 0;  // 1 for the first connection accepted
    QByteArray head;
    QByteArray body;
};

// Accepts connections and reads requests (head + Content-Length body); `answer` writes the
// answer to each (or closes the socket) and may keep the connection for the next request.
class Stub : public QObject
{
public:
    using Answer = std::function<void(QTcpSocket *socket, const Received &request)>;

    explicit Stub(Answer answer) : m_answer(std::move(answer))
    {
        QVERIFY(m_server.listen(QHostAddress::LocalHost));
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                const int index = ++m_connections;
                connect(socket, &QTcpSocket::readyRead, this, [this, socket, index] { read(socket, index); });
                connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }

    QUrl url(const QString &path) const { return QUrl(u"http://127.0.0.1:%1%2"_s.arg(m_server.serverPort()).arg(path)); }
    int connections() const { return m_connections; }
    const QList<Received> &requests() const { return m_requests; }

private:
    void read(QTcpSocket *socket, int index)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        for (;;) {
            const qsizetype end = buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            const QByteArray head = buffer.first(end + 4);
            qint64 length = 0;
            for (const QByteArray &line : head.split('\n')) {
                if (line.toLower().startsWith("content-length:"))
                    length = line.mid(15).trimmed().toLongLong();
            }
            if (buffer.size() < end + 4 + length)
                return;
            Received request{index, head, buffer.mid(end + 4, length)};
            buffer.remove(0, end + 4 + length);
            m_requests.append(request);
            m_answer(socket, request);
            if (socket->state() != QAbstractSocket::ConnectedState)
                return;
        }
    }

    QTcpServer m_server;
    Answer m_answer;
    int m_connections = 0;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    QList<Received> m_requests;
};

// The answer `bytes`, written one byte at a time when `trickle`; then the connection is closed
// when `close`.
Stub::Answer answerWith(const QByteArray &bytes, bool close = false, bool trickle = false)
{
    return [=](QTcpSocket *socket, const Received &) {
        if (trickle) {
            for (char c : bytes) {
                socket->write(&c, 1);
                socket->flush();
                QTest::qWait(1);
            }
        } else {
            socket->write(bytes);
        }
        socket->flush();
        if (close)
            socket->disconnectFromHost();
    };
}

// A server on a thread of its own, with blocking sockets: reads one request's head, writes
// `answer` and closes the connection with the body unread, as a server that refuses an upload
// from its headers does (S3's 403 for a request it will not take, a proxy's 413). Its kernel
// then resets the connection: the client's next write fails while the answer waits in its
// socket. (Stub runs on the test's thread and reads every byte that arrives: it never resets.)
class EarlyAnswerServer
{
public:
    explicit EarlyAnswerServer(QByteArray answer) : m_answer(std::move(answer))
    {
        m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (m_listener < 0 || ::bind(m_listener, reinterpret_cast<sockaddr *>(&address), length) != 0
            || ::listen(m_listener, 1) != 0 || ::getsockname(m_listener, reinterpret_cast<sockaddr *>(&address), &length) != 0)
            qFatal("cannot listen on 127.0.0.1: %s", strerror(errno));
        m_port = ntohs(address.sin_port);
        m_thread = std::thread([this] { serve(); });
    }
    ~EarlyAnswerServer()
    {
        ::shutdown(m_listener, SHUT_RDWR);  // ends a pending accept()
        m_thread.join();
        ::close(m_listener);
    }
    Q_DISABLE_COPY_MOVE(EarlyAnswerServer)

    QUrl url(const QString &path) const { return QUrl(u"http://127.0.0.1:%1%2"_s.arg(m_port).arg(path)); }

private:
    void serve()
    {
        const int fd = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0)
            return;
        QByteArray head;
        char buffer[4096];
        while (!head.contains("\r\n\r\n")) {
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0)
                break;
            head.append(buffer, n);
        }
        if (::send(fd, m_answer.constData(), size_t(m_answer.size()), MSG_NOSIGNAL) != m_answer.size())
            qWarning("the early answer was not sent whole");
        ::close(fd);
    }

    QByteArray m_answer;
    int m_listener = -1;
    quint16 m_port = 0;
    std::thread m_thread;
};

QNetworkRequest putRequest(const QUrl &url)
{
    QNetworkRequest request(url);
    request.setRawHeader("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    request.setRawHeader("Accept-Encoding", "identity");
    return request;
}

// One PUT of `body` through `pool`, run to its end.
struct Exchange
{
    std::unique_ptr<DirectReply> reply;
    QByteArray answer;
    int finishedSignals = 0;
};

std::shared_ptr<Exchange> put(DirectConnectionPool *pool, const QUrl &url, const QByteArray &body)
{
    auto x = std::make_shared<Exchange>();
    x->reply = std::make_unique<DirectReply>(pool, putRequest(url), "PUT", "storage.test:9000", body);
    Exchange *raw = x.get();
    QObject::connect(raw->reply.get(), &QNetworkReply::readyRead, [raw] { raw->answer += raw->reply->readAll(); });
    QObject::connect(raw->reply.get(), &QNetworkReply::finished, [raw] { ++raw->finishedSignals; });
    QSignalSpy finished(raw->reply.get(), &QNetworkReply::finished);
    if (!finished.wait(10000))
        qWarning("the reply did not finish in 10 s");
    return x;
}

// One GET through `pool` with a read buffer of `limit` bytes, read by a reader that takes at most
// 32 KiB per millisecond, run to its end; `largestWait` is the most the reply ever held for it.
struct SlowGet
{
    std::unique_ptr<DirectReply> reply;
    QByteArray answer;
    qint64 largestWait = 0;
    int finishedSignals = 0;
};

std::unique_ptr<SlowGet> slowGet(DirectConnectionPool *pool, const QUrl &url, qint64 limit)
{
    auto x = std::make_unique<SlowGet>();
    x->reply = std::make_unique<DirectReply>(pool, putRequest(url), "GET", "storage.test:9000", QByteArray());
    x->reply->setReadBufferSize(limit);
    SlowGet *raw = x.get();
    QObject::connect(raw->reply.get(), &QNetworkReply::finished, [raw] { ++raw->finishedSignals; });
    QTimer reader;
    QObject::connect(&reader, &QTimer::timeout, [raw] {
        raw->largestWait = std::max(raw->largestWait, raw->reply->bytesAvailable());
        raw->answer += raw->reply->read(32 << 10);
    });
    reader.start(1);
    QElapsedTimer clock;
    clock.start();
    while (!(raw->reply->isFinished() && raw->reply->bytesAvailable() == 0) && clock.elapsed() < 20000)
        QTest::qWait(1);
    if (!raw->reply->isFinished())
        qWarning("the reply did not finish in 20 s");
    return x;
}

int statusOf(const QNetworkReply *reply)
{
    return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
}

} // namespace

class TestDirectReply : public QObject
{
    Q_OBJECT

private slots:
    void sendsTheRequestAsSigned();
    void sendsAGetWithoutABody();
    void holdsOnlyWhatTheReadBufferAllows_data();
    void holdsOnlyWhatTheReadBufferAllows();
    void readsEveryFraming_data();
    void readsEveryFraming();
    void reusesKeptAliveConnections();
    void resendsOnceWhenAPooledConnectionWasClosed();
    void dropsIdleConnectionsTheServerCloses();
    void expiresIdleConnections();
    void deadPooledConnectionEmptiesThePool();
    void slotsMayDeleteTheReply_data();
    void slotsMayDeleteTheReply();
    void abortFinishesAtOnce();
    void refusedConnection();
    void readsAnAnswerSentBeforeTheBodyWasTaken();
};

void TestDirectReply::sendsTheRequestAsSigned()
{
    Stub stub(answerWith("HTTP/1.1 200 OK\r\nETag: \"e1\"\r\nContent-Length: 0\r\n\r\n"));
    DirectConnectionPool pool;
    const QByteArray body = QByteArray(3 << 20, 'x') + "end";  // larger than a socket buffer
    // A key with characters the path encodes: sent as Qt's stack would (QHttpNetworkRequest::uri).
    const QUrl url = QUrl::fromEncoded(u"http://127.0.0.1:%1/bucket/dir/a%20b%2Bc?partNumber=2&uploadId=u%2F1"_s
                                           .arg(stub.url({}).port()).toLatin1(), QUrl::StrictMode);
    const auto x = put(&pool, url, body);
    QCOMPARE(x->reply->error(), QNetworkReply::NoError);
    QCOMPARE(statusOf(x->reply.get()), 200);
    QCOMPARE(x->reply->rawHeader("ETag"), QByteArray("\"e1\""));
    QCOMPARE(x->finishedSignals, 1);
    QCOMPARE(stub.requests().size(), 1);
    const Received &request = stub.requests().first();
    QCOMPARE(request.body.size(), body.size());
    QVERIFY(request.body == body);
    QVERIFY2(request.head.startsWith("PUT /bucket/dir/a%20b%2Bc?partNumber=2&uploadId=u%2F1 HTTP/1.1\r\n"),
             request.head.constData());
    // The Host it was signed with (not the address it connects to), every header once.
    QVERIFY(request.head.contains("\r\nHost: storage.test:9000\r\n"));
    QVERIFY(request.head.contains("\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\n"));
    QVERIFY(request.head.contains("\r\nAccept-Encoding: identity\r\n"));
    QVERIFY(request.head.contains("\r\nContent-Length: 3145731\r\n"));
    QCOMPARE(request.head.count("\r\n"), 6);
}

void TestDirectReply::sendsAGetWithoutABody()
{
    Stub stub(answerWith("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-1/9\r\nContent-Length: 2\r\n\r\nab"));
    DirectConnectionPool pool;
    QNetworkRequest request = putRequest(stub.url(u"/b/k"_s));
    request.setRawHeader("range", "bytes=0-1");
    DirectReply reply(&pool, request, "GET", "storage.test:9000", QByteArray());
    QTRY_VERIFY(reply.isFinished());
    QCOMPARE(reply.error(), QNetworkReply::NoError);
    QCOMPARE(statusOf(&reply), 206);
    QCOMPARE(reply.readAll(), QByteArray("ab"));
    const QByteArray head = stub.requests().first().head;
    QVERIFY2(head.startsWith("GET /b/k HTTP/1.1\r\nHost: storage.test:9000\r\n"), head.constData());
    QVERIFY(head.contains("\r\nrange: bytes=0-1\r\n"));
    QVERIFY2(!head.toLower().contains("content-length"), head.constData());
    QCOMPARE(pool.idleCount(), 1);
}

void TestDirectReply::holdsOnlyWhatTheReadBufferAllows_data()
{
    // An 8 MiB body for a reader far slower than loopback: whatever its framing, at most the
    // read buffer waits in the reply, the body arrives whole, and an answer that ends with the
    // connection is complete only once the reader has had every byte the socket still held.
    const QByteArray body = [] {
        QByteArray b(8 << 20, Qt::Uninitialized);
        for (qsizetype i = 0; i < b.size(); ++i)
            b[i] = char(i * 7 / 5);
        return b;
    }();
    QTest::addColumn<QByteArray>("answer");
    QTest::addColumn<bool>("close");
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("content-length")
        << "HTTP/1.1 200 OK\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body << false << body;
    QTest::newRow("content-length, then close")
        << "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body
        << true << body;
    QTest::newRow("HTTP/1.0, body until close") << "HTTP/1.0 200 OK\r\n\r\n" + body << true << body;
    QTest::newRow("chunked") << "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    + QByteArray::number(body.size(), 16) + "\r\n" + body + "\r\n0\r\n\r\n"
                             << false << body;
}

void TestDirectReply::holdsOnlyWhatTheReadBufferAllows()
{
    QFETCH(QByteArray, answer);
    QFETCH(bool, close);
    QFETCH(QByteArray, body);
    constexpr qint64 limit = 64 << 10;
    Stub stub(answerWith(answer, close));
    DirectConnectionPool pool;
    const auto x = slowGet(&pool, stub.url(u"/b/k"_s), limit);
    QCOMPARE(x->reply->error(), QNetworkReply::NoError);
    QCOMPARE(x->finishedSignals, 1);
    QCOMPARE(x->answer.size(), body.size());
    QVERIFY(x->answer == body);
    QVERIFY2(x->largestWait <= limit, QByteArray::number(x->largestWait).constData());
    QVERIFY(x->largestWait > 0);
}

void TestDirectReply::readsEveryFraming_data()
{
    QTest::addColumn<QByteArray>("answer");
    QTest::addColumn<bool>("close");
    QTest::addColumn<bool>("trickle");
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("error");  // QNetworkReply::NetworkError
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("pooled");  // the connection is kept for the next request

    const QByteArray chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";
    QTest::newRow("content-length") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello") << false
                                    << false << 200 << int(QNetworkReply::NoError) << QByteArray("hello") << true;
    QTest::newRow("chunked") << chunked << false << false << 200 << int(QNetworkReply::NoError)
                             << QByteArray("hello world") << true;
    QTest::newRow("chunked, one byte per write") << chunked << false << true << 200 << int(QNetworkReply::NoError)
                                                 << QByteArray("hello world") << true;
    QTest::newRow("bare LF line endings") << QByteArray("HTTP/1.1 200 OK\nContent-Length: 2\n\nok") << false << false
                                          << 200 << int(QNetworkReply::NoError) << QByteArray("ok") << true;
    QTest::newRow("chunked, bare LF") << QByteArray("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nok\n0\n\n")
                                      << false << false << 200 << int(QNetworkReply::NoError) << QByteArray("ok") << true;
    QTest::newRow("chunk-size line without an end")
        << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") + QByteArray(70 << 10, '1') << false
        << false << 200 << int(QNetworkReply::ProtocolFailure) << QByteArray() << false;
    QTest::newRow("100 Continue, then 204")
        << QByteArray("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n") << false << false << 204
        << int(QNetworkReply::NoError) << QByteArray() << true;
    QTest::newRow("HTTP/1.0, body until close") << QByteArray("HTTP/1.0 200 OK\r\n\r\nuntil the end") << true << false
                                                << 200 << int(QNetworkReply::NoError) << QByteArray("until the end")
                                                << false;
    QTest::newRow("error answer, Connection: close")
        << QByteArray("HTTP/1.1 503 Slow Down\r\nConnection: close\r\nContent-Length: 7\r\n\r\n<Error>") << false
        << false << 503 << int(QNetworkReply::ServiceUnavailableError) << QByteArray("<Error>") << false;
    QTest::newRow("403 kept alive") << QByteArray("HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno") << false
                                    << false << 403 << int(QNetworkReply::ContentAccessDenied) << QByteArray("no") << true;
    QTest::newRow("body cut short") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc") << true << false
                                    << 200 << int(QNetworkReply::RemoteHostClosedError) << QByteArray("abc") << false;
    QTest::newRow("closed before the headers end") << QByteArray("HTTP/1.1 200 OK\r\nContent-Le") << true << false << 0
                                                   << int(QNetworkReply::RemoteHostClosedError) << QByteArray() << false;
    QTest::newRow("not HTTP") << QByteArray("SSH-2.0-OpenSSH_9.2\r\n\r\n") << false << false << 0
                              << int(QNetworkReply::ProtocolFailure) << QByteArray() << false;
    QTest::newRow("bad chunk size")
        << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n") << false << false
        << 200 << int(QNetworkReply::ProtocolFailure) << QByteArray() << false;
    QTest::newRow("headers without an end") << QByteArray("HTTP/1.1 200 OK\r\nX: ") + QByteArray(70 << 10, 'a')
                                            << false << false << 0 << int(QNetworkReply::ProtocolFailure)
                                            << QByteArray() << false;
}

void TestDirectReply::readsEveryFraming()
{
    QFETCH(QByteArray, answer);
    QFETCH(bool, close);
    QFETCH(bool, trickle);
    QFETCH(int, status);
    QFETCH(int, error);
    QFETCH(QByteArray, body);
    QFETCH(bool, pooled);

    Stub stub(answerWith(answer, close, trickle));
    DirectConnectionPool pool;
    const auto x = put(&pool, stub.url(u"/b/k"_s), "payload");
    QCOMPARE(int(x->reply->error()), error);
    QCOMPARE(statusOf(x->reply.get()), status);
    QCOMPARE(x->answer, body);
    QCOMPARE(x->finishedSignals, 1);
    QVERIFY(x->reply->isFinished());
    QCOMPARE(pool.idleCount(), pooled ? 1 : 0);
    if (error != QNetworkReply::NoError && status == 0)
        QVERIFY2(!x->reply->errorString().isEmpty(), "a failure says what went wrong");
}

void TestDirectReply::reusesKeptAliveConnections()
{
    Stub stub(answerWith("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    DirectConnectionPool pool;
    for (int i = 0; i < 3; ++i) {
        const auto x = put(&pool, stub.url(u"/b/k"_s), QByteArray(100 << 10, char('a' + i)));
        QCOMPARE(x->reply->error(), QNetworkReply::NoError);
        QCOMPARE(x->answer, QByteArray("ok"));
    }
    QCOMPARE(stub.connections(), 1);
    QCOMPARE(stub.requests().size(), 3);
    QCOMPARE(stub.requests().last().body, QByteArray(100 << 10, 'c'));
    QCOMPARE(pool.idleCount(), 1);
}

void TestDirectReply::resendsOnceWhenAPooledConnectionWasClosed()
{
    // The second request arrives on the kept connection, which the server then closes without an
    // answer (its idle timeout raced with the request): the request goes again on a new one.
    // When that one fails too, the error is the caller's (S3Call retries with backoff).
    for (const bool secondFails : {false, true}) {
        Stub stub([secondFails](QTcpSocket *socket, const Received &request) {
            const bool drop = request.connection == 1 ? request.body == "second" : secondFails;
            if (drop)
                socket->abort();
            else
                socket->write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        });
        DirectConnectionPool pool;
        QCOMPARE(put(&pool, stub.url(u"/b/k"_s), "first")->reply->error(), QNetworkReply::NoError);
        const auto x = put(&pool, stub.url(u"/b/k"_s), "second");
        QCOMPARE(stub.connections(), 2);
        QCOMPARE(stub.requests().size(), 3);
        QCOMPARE(stub.requests().last().connection, 2);
        QCOMPARE(stub.requests().last().body, QByteArray("second"));
        QCOMPARE(x->finishedSignals, 1);
        if (secondFails) {
            QCOMPARE(x->reply->error(), QNetworkReply::RemoteHostClosedError);
            QCOMPARE(statusOf(x->reply.get()), 0);
            QCOMPARE(pool.idleCount(), 0);
        } else {
            QCOMPARE(x->reply->error(), QNetworkReply::NoError);
            QCOMPARE(statusOf(x->reply.get()), 200);
            QCOMPARE(pool.idleCount(), 1);
        }
    }
}

void TestDirectReply::dropsIdleConnectionsTheServerCloses()
{
    Stub stub(answerWith("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true));  // answer, then close
    DirectConnectionPool pool;
    auto x = put(&pool, stub.url(u"/b/k"_s), "one");
    QCOMPARE(x->reply->error(), QNetworkReply::NoError);
    QTRY_COMPARE(pool.idleCount(), 0);
    x = put(&pool, stub.url(u"/b/k"_s), "two");
    QCOMPARE(x->reply->error(), QNetworkReply::NoError);
    QCOMPARE(stub.connections(), 2);
    QCOMPARE(stub.requests().size(), 2);  // never sent to the closed connection
}

void TestDirectReply::expiresIdleConnections()
{
    Stub stub(answerWith("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    DirectConnectionPool pool(nullptr, 50);
    QCOMPARE(put(&pool, stub.url(u"/b/k"_s), "one")->reply->error(), QNetworkReply::NoError);
    QCOMPARE(pool.idleCount(), 1);
    QTest::qWait(100);  // longer than the pool keeps a connection
    QCOMPARE(put(&pool, stub.url(u"/b/k"_s), "two")->reply->error(), QNetworkReply::NoError);
    QCOMPARE(stub.connections(), 2);
}

void TestDirectReply::deadPooledConnectionEmptiesThePool()
{
    // Two kept connections; a request on one of them gets no answer (a middlebox forgot it) and
    // the caller gives up: the other one, as old, is not tried next.
    Stub stub([](QTcpSocket *socket, const Received &request) {
        if (request.body != "stalls")
            socket->write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    });
    DirectConnectionPool pool;
    {
        DirectReply a(&pool, putRequest(stub.url(u"/b/k"_s)), "PUT", "h", "a");
        DirectReply b(&pool, putRequest(stub.url(u"/b/k"_s)), "PUT", "h", "b");
        QTRY_VERIFY(a.isFinished() && b.isFinished());
        QCOMPARE(a.error(), QNetworkReply::NoError);
        QCOMPARE(b.error(), QNetworkReply::NoError);
    }
    QCOMPARE(stub.connections(), 2);
    QCOMPARE(pool.idleCount(), 2);
    DirectReply stalled(&pool, putRequest(stub.url(u"/b/k"_s)), "PUT", "h", "stalls");
    QTRY_COMPARE(stub.requests().size(), 3);
    QCOMPARE(stub.connections(), 2);  // it went on a kept connection
    stalled.abort();  // what S3Call's inactivity timer does
    QCOMPARE(pool.idleCount(), 0);
}

void TestDirectReply::slotsMayDeleteTheReply_data()
{
    QTest::addColumn<QByteArray>("answer");
    QTest::addColumn<bool>("onMetaData");  // delete in metaDataChanged() (else in finished())
    QTest::newRow("in finished(), after a 200") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") << false;
    QTest::newRow("in finished(), after a protocol failure") << QByteArray("SSH-2.0-x\r\n\r\n") << false;
    QTest::newRow("in metaDataChanged()") << QByteArray("HTTP/1.1 500 Oops\r\nContent-Length: 2\r\n\r\nno") << true;
}

void TestDirectReply::slotsMayDeleteTheReply()
{
    // Qt's reply survives a slot that deletes it (its socket is in another thread); so must this
    // one (the sanitizer build turns a use-after-free into a failure).
    QFETCH(QByteArray, answer);
    QFETCH(bool, onMetaData);
    Stub stub(answerWith(answer));
    DirectConnectionPool pool;
    QPointer<DirectReply> reply = new DirectReply(&pool, putRequest(stub.url(u"/b/k"_s)), "PUT", "h", "body");
    if (onMetaData)
        connect(reply.data(), &QNetworkReply::metaDataChanged, reply.data(), [&reply] { delete reply.data(); });
    else
        connect(reply.data(), &QNetworkReply::finished, reply.data(), [&reply] { delete reply.data(); });
    QTRY_VERIFY(reply.isNull());
    QTest::qWait(20);  // the deferred deletions run
}

void TestDirectReply::abortFinishesAtOnce()
{
    Stub stub([](QTcpSocket *, const Received &) {});  // never answers
    DirectConnectionPool pool;
    DirectReply reply(&pool, putRequest(stub.url(u"/b/k"_s)), "PUT", "h", "body");
    QSignalSpy finished(&reply, &QNetworkReply::finished);
    QTRY_COMPARE(stub.requests().size(), 1);
    QVERIFY(reply.isRunning());
    reply.abort();
    QCOMPARE(finished.size(), 1);  // synchronously, as Qt's reply
    QCOMPARE(reply.error(), QNetworkReply::OperationCanceledError);
    reply.abort();
    QTest::qWait(50);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(pool.idleCount(), 0);
}

void TestDirectReply::refusedConnection()
{
    QTcpServer server;  // a port that was just free: nothing listens on it once closed
    QVERIFY(server.listen(QHostAddress::LocalHost));
    const quint16 port = server.serverPort();
    server.close();
    DirectConnectionPool pool;
    const auto x = put(&pool, QUrl(u"http://127.0.0.1:%1/b/k"_s.arg(port)), "body");
    QCOMPARE(x->reply->error(), QNetworkReply::ConnectionRefusedError);
    QCOMPARE(statusOf(x->reply.get()), 0);
    QCOMPARE(x->finishedSignals, 1);
}

void TestDirectReply::readsAnAnswerSentBeforeTheBodyWasTaken()
{
    // The server's error document is what tells the user why (AccessDenied, EntityTooLarge): the
    // reset that follows it must not turn it into "the server closed the connection". Whether
    // the client reads the answer before its write fails is a race (without the rescue about
    // half the rounds lost it): several rounds.
    const QByteArray document = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
    for (int round = 0; round < 6; ++round) {
        EarlyAnswerServer server("HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: "
                                 + QByteArray::number(document.size()) + "\r\nConnection: close\r\n\r\n" + document);
        DirectConnectionPool pool;
        const auto x = put(&pool, server.url(u"/b/k"_s), QByteArray(32 << 20, 'x'));  // far more than the socket buffers
        QCOMPARE(x->finishedSignals, 1);
        QCOMPARE(statusOf(x->reply.get()), 403);
        QCOMPARE(x->reply->error(), QNetworkReply::ContentAccessDenied);
        QCOMPARE(x->answer, document);
        QCOMPARE(pool.idleCount(), 0);
    }
}

QTEST_GUILESS_MAIN(TestDirectReply)
#include "tst_directreply.moc"
