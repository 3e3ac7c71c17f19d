"""Stored pictures: served from the filesystem with headers that let them be kept for ever, or kept
in an S3-compatible bucket (a real one the test starts, on 127.0.0.1) that every server shares."""

import io
import json
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest
from PIL import Image

from photos.library import add_photo
from photos.models import Rendition
from tests.conftest import free_port

pytestmark = pytest.mark.usefixtures("media")


def jpeg(width=1600, height=1200):
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(out, format="JPEG")
    out.seek(0)
    return out


def add():
    return add_photo(jpeg(), alt_text="Delegations at the table", credit="Li Wei/Desk")


# The filesystem, as make run has it.


def test_a_rendition_is_served_with_its_type_and_kept_for_ever(client, db):
    photo = add()
    rendition = Rendition.objects.get(photo=photo, spec="w640-4x3", format="avif")
    assert rendition.file.url.startswith("/media/photos/renditions/")
    response = client.get(rendition.file.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/avif"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert b"".join(response.streaming_content) == rendition.file.open("rb").read()


@pytest.mark.parametrize(
    "url",
    [
        "/media/photos/renditions/00/missing.avif",
        "/media/photos/../../newsroom/settings.py",
        "/media/secrets.txt",
        "/media/photos/%2e%2e/%2e%2e/manage.py",
    ],
)
def test_anything_but_a_stored_picture_is_not_found(client, db, url):
    add()
    assert client.get(url).status_code == 404


def test_stored_pictures_are_read_only(client, db):
    photo = add()
    assert client.post(photo.file.url).status_code == 405


# An S3-compatible bucket.


@pytest.fixture
def s3_server():
    """moto's S3-compatible server, started for this test on its own 127.0.0.1 port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "the S3 server did not start"
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def bucket(settings, s3_server):
    credentials = {"aws_access_key_id": "newsroom", "aws_secret_access_key": "newsroom-secret"}
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", **credentials)
    s3.create_bucket(Bucket="newsroom-media")
    # As an operator publishes a media bucket: anyone may read, only Newsroom's key may write.
    public_read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::newsroom-media/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket="newsroom-media", Policy=json.dumps(public_read))
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "newsroom-media",
                "endpoint_url": s3_server,
                "access_key": credentials["aws_access_key_id"],
                "secret_key": credentials["aws_secret_access_key"],
                "region_name": "us-east-1",
                "querystring_auth": False,
                "file_overwrite": False,
                "object_parameters": {"CacheControl": settings.MEDIA_CACHE_CONTROL},
            },
        },
    }
    return s3


def test_pictures_and_renditions_go_to_the_bucket_that_every_server_shares(db, bucket, media):
    photo = add()
    keys = {item["Key"] for item in bucket.list_objects_v2(Bucket="newsroom-media")["Contents"]}
    renditions = list(Rendition.objects.filter(photo=photo))
    assert photo.file.name in keys
    assert {rendition.file.name for rendition in renditions} <= keys
    assert len(keys) == 1 + len(renditions)
    assert not media.exists() or not any(media.rglob("*.*"))  # nothing written locally
    lead = next(r for r in renditions if r.spec == "w960-16x9" and r.format == "webp")
    stored = bucket.get_object(Bucket="newsroom-media", Key=lead.file.name)
    assert stored["CacheControl"] == "public, max-age=31536000, immutable"
    image = Image.open(io.BytesIO(stored["Body"].read()))
    assert image.format == "WEBP" and image.size == (960, 540)
    # Pages link the bucket's own plain URL, which any reader can fetch.
    assert lead.file.url.startswith(f"{bucket.meta.endpoint_url}/newsroom-media/photos/renditions/")
    with urllib.request.urlopen(lead.file.url, timeout=5) as response:
        assert response.read() == lead.file.open("rb").read()
