using HoopProxy.Postgres.Authentication;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Postgres;

public sealed class ScramSaltedPasswordCacheTests
{
    private static readonly byte[] Salt = [1, 2, 3, 4, 5, 6, 7, 8];

    [Test]
    public void The_same_password_salt_and_rounds_are_derived_once_and_give_pbkdf2s_answer()
    {
        var cache = new ScramSaltedPasswordCache();
        var first = cache.SaltedPassword("app-secret", Salt, 4096);
        var second = cache.SaltedPassword("app-secret", Salt, 4096);
        Assert.That(second, Is.SameAs(first), "the second login reuses the first derivation");
        Assert.That(first, Is.EqualTo(ScramSha256.SaltedPassword("app-secret", Salt, 4096)));
    }

    [Test]
    public void Another_password_salt_or_count_is_derived_anew()
    {
        var cache = new ScramSaltedPasswordCache();
        var original = cache.SaltedPassword("app-secret", Salt, 4096);
        Assert.That(cache.SaltedPassword("other-secret", Salt, 4096), Is.Not.EqualTo(original));
        Assert.That(cache.SaltedPassword("app-secret", [9, 9, 9, 9], 4096), Is.Not.EqualTo(original));
        Assert.That(cache.SaltedPassword("app-secret", Salt, 4097), Is.Not.EqualTo(original));
        Assert.That(cache.Count, Is.EqualTo(4));
    }

    [Test]
    public void A_target_sending_new_salts_cannot_grow_it_past_its_capacity()
    {
        var cache = new ScramSaltedPasswordCache(capacity: 8);
        for (var i = 0; i < 100; i++)
        {
            cache.SaltedPassword("app-secret", BitConverter.GetBytes(i), 1);
        }

        Assert.That(cache.Count, Is.LessThanOrEqualTo(8));
    }
}
