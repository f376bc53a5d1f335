// The Content-Type an uploaded file is stored with, and later served with as a header: the one its multipart part
// declared when that is a well-formed media type, else application/octet-stream.

const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,127}\/[a-z0-9!#$&^_.+-]{1,127}(\s*;\s*[a-z0-9!#$&^_.+-]+=("[^"\\\u0000-\u001f\u007f]*"|[a-z0-9!#$&^_.+-]+))*$/i;

/** The part's Content-Type if it is a well-formed media type (it is sent back as a header), else application/octet-stream. */
export function mediaType(declared: string | null): string {
  const value = declared?.trim() ?? "";
  return value.length <= 255 && MEDIA_TYPE.test(value) ? value : "application/octet-stream";
}
