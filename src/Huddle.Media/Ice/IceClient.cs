using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Huddle.Media.Stun;

namespace Huddle.Media.Ice;

/// <summary>
/// A small controlling ICE agent for load-test bots talking to a lite server: one local socket, one remote
/// host candidate. It sends Binding requests with USE-CANDIDATE (the server is lite, so the first pair that
/// answers is nominated, RFC 8445 §8.1.1), retransmits them per RFC 8489 §6.2.1, and afterwards sends a
/// consent check every <see cref="ConsentInterval"/> (RFC 7675 §5.1). It also answers the peer's own checks
/// (<see cref="AnswerCheck"/>): a lite server need not send any, but libnice (Janus) checks the pair too and
/// takes our nomination only once its check is answered.
/// </summary>
public sealed class IceClient
{
    public static readonly TimeSpan ConsentInterval = TimeSpan.FromSeconds(5);
    private const int MaxAttempts = 7;

    private readonly IceCredentials _local;
    private readonly string _remoteUfrag;
    private readonly byte[] _remotePassword;
    private readonly byte[] _localPassword;
    private readonly byte[] _expectedUsername;
    private readonly ulong _tieBreaker = BinaryPrimitives.ReadUInt64LittleEndian(RandomNumberGenerator.GetBytes(8));
    private readonly byte[] _transactionId = new byte[StunConstants.TransactionIdLength];

    public IceClient(IceCredentials local, string remoteUfrag, string remotePassword)
    {
        _local = local;
        _remoteUfrag = remoteUfrag;
        _remotePassword = Encoding.ASCII.GetBytes(remotePassword);
        _localPassword = Encoding.ASCII.GetBytes(local.Password);
        _expectedUsername = Encoding.ASCII.GetBytes($"{local.Ufrag}:{remoteUfrag}");
    }

    /// <summary>The address the server saw us at (XOR-MAPPED-ADDRESS of the last success).</summary>
    public IPEndPoint? MappedAddress { get; private set; }

    public bool Connected { get; private set; }

    /// <summary>When the last check succeeded (<see cref="Environment.TickCount64"/>), for consent expiry.</summary>
    public long LastSuccessTicks { get; private set; }

    /// <summary>Writes a new connectivity check (with USE-CANDIDATE) and remembers its transaction.</summary>
    public int WriteCheck(Span<byte> buffer, uint priority = 0x6E0001FF)
    {
        RandomNumberGenerator.Fill(_transactionId);
        var writer = new StunWriter(buffer, StunMethod.Binding, StunClass.Request, _transactionId);
        writer.AddAttribute(StunAttributeType.Username, Encoding.ASCII.GetBytes($"{_remoteUfrag}:{_local.Ufrag}"));
        writer.AddUInt32(StunAttributeType.Priority, priority);
        writer.AddUInt64(StunAttributeType.IceControlling, _tieBreaker);
        writer.AddFlag(StunAttributeType.UseCandidate);
        writer.AddMessageIntegrity(_remotePassword);
        writer.AddFingerprint();
        return writer.TryComplete(out int length) ? length : 0;
    }

    /// <summary>
    /// Takes a STUN message from the server; true when it is the authentic success response to our latest
    /// check (RFC 8445 §7.2.5.2).
    /// </summary>
    public bool HandleResponse(ReadOnlySpan<byte> datagram)
    {
        if (!StunMessage.TryParse(datagram, out StunMessage message)) return false;
        if (message.Class != StunClass.SuccessResponse || message.Method != StunMethod.Binding) return false;
        if (!message.TransactionId.SequenceEqual(_transactionId)) return false;
        if (!message.VerifyIntegrity(_remotePassword)) return false;
        if (message.HasFingerprint && !message.VerifyFingerprint()) return false;
        if (message.TryGetAddress(out IPEndPoint? mapped)) MappedAddress = mapped;
        Connected = true;
        LastSuccessTicks = Environment.TickCount64;
        return true;
    }

    /// <summary>
    /// Answers the peer's Binding request, seen coming from <paramref name="from"/>: USERNAME must be
    /// "ours:theirs" and MESSAGE-INTEGRITY must verify with our password (RFC 8445 §7.3); the success
    /// response carries XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY and FINGERPRINT. Returns its length, 0 when
    /// the datagram is not such a request (a response, or a check that fails).
    /// </summary>
    public int AnswerCheck(ReadOnlySpan<byte> datagram, IPEndPoint from, Span<byte> response)
    {
        if (!StunMessage.TryParse(datagram, out StunMessage request)) return 0;
        if (request.Class != StunClass.Request || request.Method != StunMethod.Binding) return 0;
        if (!request.TryGetAttribute(StunAttributeType.Username, out ReadOnlySpan<byte> username) || !username.SequenceEqual(_expectedUsername)) return 0;
        if (request.HasFingerprint && !request.VerifyFingerprint()) return 0;
        if (!request.VerifyIntegrity(_localPassword)) return 0;
        var writer = new StunWriter(response, StunMethod.Binding, StunClass.SuccessResponse, request.TransactionId);
        writer.AddXorAddress(from.Address, from.Port);
        writer.AddMessageIntegrity(_localPassword);
        writer.AddFingerprint();
        return writer.TryComplete(out int length) ? length : 0;
    }

    /// <summary>
    /// Runs the checks on <paramref name="socket"/> until the server answers: sends, waits with doubling
    /// timeouts from 100 ms, and gives up after 7 tries. The server's own checks that arrive meanwhile are
    /// answered; other datagrams go to <paramref name="other"/>.
    /// <para>
    /// Only synchronous calls touch the socket (a zero-wait poll every millisecond while waiting). An
    /// asynchronous receive or send would hand its descriptor to .NET's socket engine for good, whose
    /// thread then wakes for every datagram that arrives, even those a <see cref="Udp.BatchReceiver"/> reads:
    /// in a 33-bot load run that was 16,000 wake-ups a second plus as many thread-pool hand-offs, on the
    /// cores the server under test shares.
    /// </para>
    /// </summary>
    public async Task ConnectAsync(Socket socket, EndPoint server, Action<ReadOnlyMemory<byte>>? other = null, CancellationToken cancellationToken = default)
    {
        byte[] request = new byte[StunConstants.MaxMessageLength];
        byte[] receive = new byte[2048];
        byte[] answer = new byte[StunConstants.MaxMessageLength];
        EndPoint from = new IPEndPoint(server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        TimeSpan timeout = TimeSpan.FromMilliseconds(100);
        for (int attempt = 0; attempt < MaxAttempts && !Connected; attempt++, timeout *= 2)
        {
            int length = WriteCheck(request);
            socket.SendTo(request.AsSpan(0, length), SocketFlags.None, server);
            long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            while (!Connected)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!socket.Poll(0, SelectMode.SelectRead))
                {
                    if (Environment.TickCount64 >= deadline) break; // this attempt timed out; send again
                    await Task.Delay(1, cancellationToken);
                    continue;
                }
                int received = socket.ReceiveFrom(receive, SocketFlags.None, ref from);
                ReadOnlyMemory<byte> datagram = receive.AsMemory(0, received);
                if (HandleResponse(datagram.Span)) break;
                int answered = server is IPEndPoint peer ? AnswerCheck(datagram.Span, peer, answer) : 0;
                if (answered > 0) socket.SendTo(answer.AsSpan(0, answered), SocketFlags.None, server);
                else other?.Invoke(datagram);
            }
        }
        if (!Connected) throw new TimeoutException("ICE: the server did not answer our connectivity checks");
    }
}
