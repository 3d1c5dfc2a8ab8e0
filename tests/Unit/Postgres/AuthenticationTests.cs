using System.Security.Cryptography;
using System.Text;
using HoopProxy.Postgres.Authentication;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Postgres;

public sealed class AuthenticationTests
{
    // RFC 7677 §3: the SCRAM-SHA-256 exchange for user "user", password "pencil".
    private const string VectorClientNonce = "rOprNGfwEbeRWgbNEkqO";
    private const string VectorServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    private const string VectorSalt = "W22ZaJ0SNY7soEsUEjb6gQ==";
    private const string VectorClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
    private const string VectorServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    private const string VectorClientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    private const string VectorServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    // Few iterations keep the suite fast; the exchange logic does not depend on the count.
    private static readonly ScramVerifier PencilVerifier = ScramVerifier.FromPassword("pencil", iterations: 16);

    [Test]
    public void Scram_server_accepts_the_client_with_the_right_password_and_the_client_accepts_the_server()
    {
        var server = new ScramServerExchange(PencilVerifier);
        var client = new ScramClientExchange("pencil");

        var serverFirst = server.HandleClientFirst(client.ClientFirst);
        Assert.That(serverFirst, Is.Not.Null);
        var clientFinal = client.HandleServerFirst(serverFirst!);
        var serverFinal = server.HandleClientFinal(clientFinal);
        Assert.That(serverFinal, Does.StartWith("v="));
        Assert.DoesNotThrow(() => client.VerifyServerFinal(serverFinal!));
    }

    [Test]
    public void Scram_server_refuses_the_wrong_password()
    {
        var server = new ScramServerExchange(PencilVerifier);
        var client = new ScramClientExchange("pencils");
        var serverFirst = server.HandleClientFirst(client.ClientFirst);
        Assert.That(server.HandleClientFinal(client.HandleServerFirst(serverFirst!)), Is.Null);
    }

    [Test]
    public void Scram_client_refuses_a_server_that_does_not_know_the_password()
    {
        var impostor = new ScramServerExchange(ScramVerifier.FromPassword("guess", iterations: 16, salt: PencilVerifier.Salt));
        var client = new ScramClientExchange("pencil");
        var serverFirst = impostor.HandleClientFirst(client.ClientFirst);
        client.HandleServerFirst(serverFirst!);
        var forged = "v=" + Convert.ToBase64String(new byte[32]);
        Assert.Throws<AuthenticationException>(() => client.VerifyServerFinal(forged));
    }

    [Test]
    public void Scram_client_refuses_a_server_nonce_that_does_not_extend_its_own()
    {
        var client = new ScramClientExchange("pencil");
        Assert.Throws<AuthenticationException>(() => client.HandleServerFirst("r=someoneelse,s=" + VectorSalt + ",i=4096"));
    }

    [TestCase("r={nonce}", TestName = "Scram client refuses a server nonce that only echoes its own")]
    [TestCase("r={nonce}xyz,s=not*base64,i=4096", TestName = "Scram client refuses a salt that is not base64")]
    [TestCase("r={nonce}xyz,s=QSXCR+Q6sek8bf92,i=0", TestName = "Scram client refuses zero iterations")]
    [TestCase("r={nonce}xyz,s=QSXCR+Q6sek8bf92,i=2000000000", TestName = "Scram client refuses an iteration count that would stall the login")]
    public void Scram_client_refuses_a_hostile_server_first(string template)
    {
        var client = new ScramClientExchange("secret");
        var nonce = client.ClientFirstBare[(client.ClientFirstBare.IndexOf("r=", StringComparison.Ordinal) + 2)..];
        Assert.Throws<HoopProxy.Postgres.Authentication.AuthenticationException>(() => client.HandleServerFirst(template.Replace("{nonce}", nonce, StringComparison.Ordinal)));
    }

    [Test]
    public void Scram_client_refuses_a_server_final_before_any_server_first()
    {
        var client = new ScramClientExchange("secret");
        Assert.Throws<HoopProxy.Postgres.Authentication.AuthenticationException>(() => client.VerifyServerFinal("v=AAAA"));
    }

    [Test]
    public void Scram_server_refuses_a_client_final_before_any_client_first()
    {
        var server = new ScramServerExchange(ScramVerifier.FromPassword("secret"));
        Assert.That(server.HandleClientFinal("c=biws,r=abc,p=AAAA"), Is.Null);
    }

    [Test]
    public void Scram_server_matches_the_RFC_7677_test_vector()
    {
        var verifier = ScramVerifier.FromPassword("pencil", 4096, Convert.FromBase64String(VectorSalt));
        var server = new ScramServerExchange(verifier, VectorServerNonce);
        Assert.That(server.HandleClientFirst(VectorClientFirst), Is.EqualTo(VectorServerFirst));
        Assert.That(server.HandleClientFinal(VectorClientFinal), Is.EqualTo(VectorServerFinal));
    }

    [Test]
    public void Scram_server_refuses_the_RFC_7677_final_message_with_one_proof_bit_flipped()
    {
        var verifier = ScramVerifier.FromPassword("pencil", 4096, Convert.FromBase64String(VectorSalt));
        var server = new ScramServerExchange(verifier, VectorServerNonce);
        server.HandleClientFirst(VectorClientFirst);
        var proof = Convert.FromBase64String(VectorClientFinal[(VectorClientFinal.LastIndexOf("p=", StringComparison.Ordinal) + 2)..]);
        proof[0] ^= 1;
        var tampered = VectorClientFinal[..(VectorClientFinal.LastIndexOf("p=", StringComparison.Ordinal) + 2)] + Convert.ToBase64String(proof);
        Assert.That(server.HandleClientFinal(tampered), Is.Null);
    }

    [Test]
    public void Scram_client_matches_the_RFC_7677_test_vector()
    {
        var client = new ScramClientExchange("pencil", VectorClientNonce, "user");
        Assert.That(client.ClientFirst, Is.EqualTo(VectorClientFirst));
        Assert.That(client.HandleServerFirst(VectorServerFirst), Is.EqualTo(VectorClientFinal));
        Assert.DoesNotThrow(() => client.VerifyServerFinal(VectorServerFinal));
    }

    [Test]
    public void Md5_answer_is_md5_of_md5_of_password_and_user_then_salt()
    {
        byte[] salt = [1, 2, 3, 4];
#pragma warning disable CA5351 // The PostgreSQL MD5 scheme is what is under test.
        var inner = Hex(MD5.HashData(Encoding.UTF8.GetBytes("secret" + "app")));
        var expected = "md5" + Hex(MD5.HashData([.. Encoding.ASCII.GetBytes(inner), .. salt]));
#pragma warning restore CA5351

        Assert.That(Md5Password.Answer("app", "secret", salt), Is.EqualTo(expected));
        // Computed outside .NET (Python hashlib), so a shared mistake in both computations above would still be caught.
        Assert.That(Md5Password.Answer("app", "secret", salt), Is.EqualTo("md5911f527656472583a006e7727877b33e"));
    }

    private static string Hex(byte[] bytes) => string.Concat(bytes.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
}
