"""The electronic certificate's signature: PAdES (pyHanko) with the key and certificate of a PKCS#12 file.

Settings: ``CERTIFICATE_SIGNING_P12`` (path of the PKCS#12 file) and ``CERTIFICATE_SIGNING_PASSPHRASE``. A
deployment gives its own (issued by the authority whose name is on the certificate); outside production, when none
is given, a throw-away CA and signing certificate are made on first use in ``instance/certificate-signing/``
(``ca.pem`` is the root a verifier trusts). Production without the settings refuses to issue.
"""

from __future__ import annotations

import asyncio
import io
import secrets
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask import current_app
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import SigSeedSubFilter

from ...clock import utcnow
from ...i18n import lazy_gettext as _l
from ..errors import DomainError

#: what a development instance calls its throw-away authority
DEVELOPMENT_ISSUER = "注册安全工程师注册管理中心（开发用证书，不具法律效力）"
_FIELD = "注册管理中心签章"
_lock = threading.Lock()


class SigningUnavailable(DomainError):
    """No signing key is configured (production), or the configured one cannot be read."""


@dataclass(frozen=True)
class SigningKey:
    p12_path: Path
    passphrase: bytes


def signing_key() -> SigningKey:
    """The configured PKCS#12 file, or (outside production) the development one, made on first use."""
    config = current_app.config
    configured = config.get("CERTIFICATE_SIGNING_P12")
    if configured:
        return SigningKey(Path(configured), str(config.get("CERTIFICATE_SIGNING_PASSPHRASE") or "").encode())
    if config.get("ENV_NAME") == "production":
        raise SigningUnavailable(_l("电子证书签章服务尚未配置，暂时无法生成电子证书，请联系注册管理中心。"))
    return development_key(Path(current_app.instance_path) / "certificate-signing")


def development_key(folder: Path) -> SigningKey:
    """A throw-away ECDSA P-256 CA and a signing certificate under ``folder`` (made once; kept for later runs).
    Made in a fresh folder beside it and renamed into place, so that processes starting at once agree on one."""
    p12_path, passphrase_path = folder / "signer.p12", folder / "passphrase"
    with _lock:
        if not p12_path.exists():
            folder.parent.mkdir(parents=True, exist_ok=True)
            fresh = Path(tempfile.mkdtemp(prefix=".certificate-signing-", dir=folder.parent))
            passphrase = secrets.token_urlsafe(24).encode()
            ca_pem, p12 = _make_development_pki(passphrase)
            (fresh / "ca.pem").write_bytes(ca_pem)
            for name, content in (("passphrase", passphrase), ("signer.p12", p12)):
                (fresh / name).write_bytes(content)
                (fresh / name).chmod(0o600)
            try:
                fresh.rename(folder)
            except OSError:  # another process was first: use its key
                shutil.rmtree(fresh, ignore_errors=True)
    return SigningKey(p12_path, passphrase_path.read_bytes())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEVELOPMENT_ISSUER),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: x509.Name, key, issuer: x509.Name, issuer_key, *, authority: bool) -> x509.Certificate:
    """Ten years from yesterday; a CA signs certificates, the signer signs documents (non-repudiation)."""
    start = utcnow() - timedelta(days=1)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=authority, path_length=0 if authority else None),
                              critical=True)
               .add_extension(x509.KeyUsage(digital_signature=not authority, content_commitment=not authority,
                                            key_encipherment=False, data_encipherment=False, key_agreement=False,
                                            key_cert_sign=authority, crl_sign=authority, encipher_only=False,
                                            decipher_only=False), critical=True))
    if not authority:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _make_development_pki(passphrase: bytes) -> tuple[bytes, bytes]:
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Development Root CA")
    ca_cert = _certificate(ca_name, ca_key, ca_name, ca_key, authority=True)
    cert = _certificate(_name("Certificate Signing (development)"), key, ca_name, ca_key, authority=False)
    p12 = pkcs12.serialize_key_and_certificates(
        b"signer", key, cert, [ca_cert], serialization.BestAvailableEncryption(passphrase))
    return ca_cert.public_bytes(serialization.Encoding.PEM), p12


@lru_cache(maxsize=4)
def _signer(p12_path: str, mtime: float, passphrase: bytes) -> signers.SimpleSigner:
    signer = signers.SimpleSigner.load_pkcs12(p12_path, passphrase=passphrase)
    if signer is None:
        raise SigningUnavailable(_l("电子证书签章密钥无法读取，暂时无法生成电子证书，请联系注册管理中心。"))
    return signer


def sign_pdf(pdf: bytes, key: SigningKey | None = None) -> bytes:
    """``pdf`` with an invisible PAdES B-B signature of the whole file (any later change breaks it)."""
    key = key or signing_key()
    try:
        signer = _signer(str(key.p12_path), key.p12_path.stat().st_mtime, key.passphrase)
    except (OSError, ValueError) as error:
        raise SigningUnavailable(_l("电子证书签章密钥无法读取，暂时无法生成电子证书，请联系注册管理中心。")) from error
    if _event_loop_running():  # pyHanko runs its own asyncio loop, which cannot start inside a running one
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(_sign, pdf, signer).result()
    return _sign(pdf, signer)


def _event_loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _sign(pdf: bytes, signer: signers.SimpleSigner) -> bytes:
    meta = signers.PdfSignatureMetadata(field_name=_FIELD, subfilter=SigSeedSubFilter.PADES,
                                        reason="注册安全工程师电子注册证书", location="中国")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    fields.append_signature_field(writer, fields.SigFieldSpec(_FIELD))
    output = io.BytesIO()
    signers.sign_pdf(writer, meta, signer=signer, output=output)
    return output.getvalue()
