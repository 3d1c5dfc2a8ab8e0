using System.Security.Cryptography;
using System.Text;

namespace HoopProxy.Postgres.Authentication;

/// <summary>PostgreSQL's MD5 answer: "md5" + md5hex(md5hex(password + user) + salt). Only ever used toward a target.</summary>
public static class Md5Password
{
    public static string Answer(string user, string password, ReadOnlySpan<byte> salt)
    {
#pragma warning disable CA5351 // MD5 is what the target demands; we never offer it to clients.
        var inner = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(password + user)));
        var outerInput = new byte[inner.Length + salt.Length];
        Encoding.ASCII.GetBytes(inner, outerInput);
        salt.CopyTo(outerInput.AsSpan(inner.Length));
        return "md5" + Convert.ToHexStringLower(MD5.HashData(outerInput));
#pragma warning restore CA5351
    }
}
