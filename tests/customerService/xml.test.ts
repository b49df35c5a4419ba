/** The push XML reader (server/customerService/xml.ts): WeChat's shape, and nothing else. */
import { MAX_DEPTH, parsePushXml } from '../../server/customerService/xml'

test("WeChat's documented text message: CDATA and plain values as strings", () => {
  // The sample of 接收消息-文本消息 (customer-service message push, XML format).
  const body =
    '<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName><CreateTime>1482048670</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[this is a test]]></Content><MsgId>1234567890123456</MsgId></xml>'
  expect(parsePushXml(body)).toEqual({
    ToUserName: 'toUser',
    FromUserName: 'fromUser',
    CreateTime: '1482048670',
    MsgType: 'text',
    Content: 'this is a test',
    MsgId: '1234567890123456',
  })
})

test('declaration, comments, entities, character references, nested and repeated elements, attributes skipped', () => {
  const body =
    '<?xml version="1.0" encoding="utf-8"?>\n<!-- push -->\n<xml><A x="1">a &lt;b&gt; &amp; &quot;c&quot; &#20320;&#x597D;</A><G><Item>1</Item><Item>2</Item><Item>3</Item></G><E/><F></F><C><![CDATA[<b>not a tag</b> ]]>tail</C></xml>\n'
  expect(parsePushXml(body)).toEqual({
    A: 'a <b> & "c" 你好',
    G: { Item: ['1', '2', '3'] },
    E: '',
    F: '',
    C: '<b>not a tag</b> tail',
  })
})

test('a message whose text is "<!DOCTYPE": fine inside CDATA; a DOCTYPE or ENTITY in the prolog or the body is refused', () => {
  expect(parsePushXml('<xml><Content><![CDATA[<!DOCTYPE html>]]></Content></xml>')).toEqual({
    Content: '<!DOCTYPE html>',
  })
  expect(parsePushXml('<!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><C>&a;</C></xml>')).toBeNull()
  expect(parsePushXml('<xml><!ENTITY a "x"><C>1</C></xml>')).toBeNull()
})

test.each([
  ['mismatched tags', '<xml><A>1</B></xml>'],
  ['unclosed element', '<xml><A>1</A>'],
  ['unknown entity', '<xml><A>&nbsp;</A></xml>'],
  ['bare ampersand', '<xml><A>a & b</A></xml>'],
  ['text after the root', '<xml><A>1</A></xml>junk'],
  ['another root', '<root><A>1</A></root>'],
  ['text beside elements', '<xml>x<A>1</A></xml>'],
  ['not XML', '{"MsgType":"text"}'],
  ['empty', ''],
  ['a root with only text', '<xml>hello</xml>'],
  ['unclosed CDATA', '<xml><A><![CDATA[x</A></xml>'],
])('%s is malformed (null), not a crash', (_what, body) => {
  expect(parsePushXml(body)).toBeNull()
})

test(`nesting deeper than ${MAX_DEPTH} is malformed; 64 KB of repeated elements is read`, () => {
  const deep = '<xml>' + '<a>'.repeat(MAX_DEPTH + 1) + '1' + '</a>'.repeat(MAX_DEPTH + 1) + '</xml>'
  expect(parsePushXml(deep)).toBeNull()
  const many = '<xml><L>' + '<i>1</i>'.repeat(8000) + '</L></xml>'
  expect((parsePushXml(many)!.L as { i: string[] }).i).toHaveLength(8000)
})
