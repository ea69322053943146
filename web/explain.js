// SPDX-License-Identifier: Apache-2.0
// Import errors and warnings in words a course author understands: which file, what is wrong,
// what to do. The server's own message is kept (shown as text under "Details") so nothing is
// lost; these rules only add the explanation. Patterns follow scorm_strerror() and the
// messages of scorm/scorm_zip.c and scorm/scorm_manifest.c.

const EXPORT = 'Export the course again from your authoring tool as a SCORM package (a .zip file) and upload that file.';

const ERRORS = [
  [/not a (valid )?zip|end of central directory|zip archive is truncated|corrupt/i,
    'This file is not a zip archive (or the zip is damaged).',
    `A SCORM package is a .zip file with imsmanifest.xml at its top level. ${EXPORT}`],
  [/archive is empty|archive has no entries|empty upload/i,
    'The zip file is empty.', EXPORT],
  [/no imsmanifest\.xml/i,
    'The package has no imsmanifest.xml at its top level, so it is not a SCORM package.',
    'If you zipped a folder yourself, zip the files inside the course folder (imsmanifest.xml must be at the top of the zip, not inside a sub-folder of a sub-folder). If you exported a web or HTML5 package, choose the SCORM export instead.'],
  [/encrypt/i,
    'The zip is protected with a password.', 'Zip the course again without a password.'],
  [/ratio|zip bomb/i,
    'The zip expands to far more than its size, which scolar refuses as a safety measure.',
    'Zip the course again with ordinary settings; if it really holds huge, very repetitive files, remove them.'],
  [/limit exceeded|larger than|too large|entry limit|too many entries|size cap/i,
    'The package is larger than this server accepts (in total size, file size or number of files).',
    'Remove unused media (videos, unused images) and export again, or ask your administrator to raise the upload limit.'],
  [/unsafe|escapes the package|absolute path|\.\.\//i,
    'A file name in the zip points outside the package (for example "../" or an absolute path).',
    'Zip the course again with a standard tool; file names must stay inside the package.'],
  [/symlink|not a regular file/i,
    'The zip contains a link or special file instead of an ordinary file.',
    'Replace links with the real files and zip the course again.'],
  [/duplicate/i,
    'The zip has two files with the same name (perhaps differing only in upper and lower case).',
    'Rename or remove one of them and zip the course again.'],
  [/doctype|entity/i,
    'imsmanifest.xml declares a DOCTYPE or entities, which are refused for security.',
    'Remove the <!DOCTYPE …> line from imsmanifest.xml, or export again.'],
  [/encoding/i,
    'imsmanifest.xml uses a character encoding scolar cannot read.',
    'Save imsmanifest.xml as UTF-8 and zip the course again.'],
  [/not well-formed|xml parse|xml error|mismatch|premature end|expected/i,
    'imsmanifest.xml is not valid XML.',
    'Open imsmanifest.xml in a text or XML editor at the line shown, fix the tag, and zip again — or export the course again.'],
  [/too deep|too many nodes/i,
    'imsmanifest.xml is too large or too deeply nested to be read safely.', EXPORT],
  [/no launchable|nothing to launch/i,
    'The package has nothing a learner can open: no item points to a SCO or asset with a start page.',
    'Check that the items of the organisation reference resources with an href, or export again.'],
  [/launch|href|file .*(missing|not in the package|not found)|not in the package/i,
    'A file the manifest refers to is not in the zip.',
    'Check the file is in the zip, with exactly the same name and upper/lower case as in imsmanifest.xml.'],
  [/identifierref|unresolved|no resource|idref/i,
    'An item in imsmanifest.xml points to a resource that is not defined.',
    'Fix the identifierref of that item (or add the resource) in imsmanifest.xml, or export again.'],
  [/identifier|manifest structure|organization|organisation|required/i,
    'imsmanifest.xml is missing something SCORM requires.', EXPORT],
  [/no course|404/i,
    'The course to add a version to no longer exists.', 'Upload the package as a new course instead.'],
];

// "imsmanifest.xml line 12: ..." or "line 12: ..." -> {file, line, rest}
function where(message) {
  const m = String(message).match(/^(?:([^\s:]+?) )?line (\d+): (.*)$/s) ||
    String(message).match(/^([^\s:]+\.(?:xml|html?|js|xsd|zip)): (.*)$/is);
  if (!m) return { file: '', line: 0, rest: String(message) };
  if (m.length === 4) return { file: m[1] || 'imsmanifest.xml', line: Number(m[2]), rest: m[3] };
  return { file: m[1], line: 0, rest: m[2] };
}

/** An import error (ApiError or message) -> {what, fix, file, detail}. */
export function explainImportError(message, status) {
  const msg = String(message || '');
  const w = where(msg);
  if (status === 413) {
    return { what: 'The package is larger than this server accepts.',
      fix: 'Remove unused media and export again, or ask your administrator to raise the upload limit.',
      file: w.file, line: w.line, detail: msg };
  }
  if (status === 415) {
    return { what: 'The server did not accept this kind of upload.', fix: EXPORT, file: '', line: 0, detail: msg };
  }
  for (const [re, what, fix] of ERRORS) {
    if (re.test(msg)) return { what, fix, file: w.file, line: w.line, detail: msg };
  }
  return { what: 'The package could not be imported.', fix: EXPORT, file: w.file, line: w.line, detail: msg };
}

const WARNINGS = [
  [/__MACOSX/i, 'Mac system files (__MACOSX) in the zip were skipped.', 'Nothing to do; they are not part of the course.'],
  [/top folder|one folder|single folder|stripped/i, 'The course was inside a folder in the zip; that folder was used as the package root.',
    'Nothing to do. Next time you can zip the files inside the folder.'],
  [/'\\'|\\' separators|backslash/i, 'Some file paths use Windows "\\" separators; they were read as "/".',
    'Nothing to do, but some players may fail on this package; zip it with a standard tool.'],
  [/xs:boolean/i, 'A true/false setting in the manifest has another value; the SCORM default is used.',
    'Change the value to true or false in imsmanifest.xml if the default is not what you want.'],
  [/not a number|not a decimal/i, 'A number setting in the manifest is not a number; it is ignored.',
    'Fix the value in imsmanifest.xml if the setting matters.'],
  [/no namespace/i, 'imsmanifest.xml does not declare the IMS namespace; it was read anyway.',
    'Nothing to do for scolar; other players may refuse it.'],
  [/second <organizations>/i, 'The manifest has a second <organizations> element; it was ignored.', ''],
  [/case/i, 'A file is named with different upper/lower case than in the manifest; the file on disk was used.',
    'Make the names match exactly: some web servers and players are case-sensitive.'],
  [/not found|missing|does not exist/i, 'A file the manifest lists is not in the zip.',
    'Add the file or remove it from imsmanifest.xml; learners may see a broken page.'],
];

/** A warning (a string, or {file, message}) -> {file, line, what, fix, detail}. */
export function explainWarning(wn) {
  const msg = typeof wn === 'string' ? wn : String(wn?.message ?? '');
  const w = where(msg);
  const file = (typeof wn === 'object' && wn?.file) || w.file;
  for (const [re, what, fix] of WARNINGS) {
    if (re.test(msg)) return { file, line: w.line, what, fix, detail: msg };
  }
  return { file, line: w.line, what: w.rest, fix: '', detail: msg };
}
