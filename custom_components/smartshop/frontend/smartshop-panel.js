var q=globalThis,K=q.ShadowRoot&&(q.ShadyCSS===void 0||q.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,ct=Symbol(),Ft=new WeakMap,D=class{constructor(e,t,s){if(this._$cssResult$=!0,s!==ct)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=e,this.t=t}get styleSheet(){let e=this.o,t=this.t;if(K&&e===void 0){let s=t!==void 0&&t.length===1;s&&(e=Ft.get(t)),e===void 0&&((this.o=e=new CSSStyleSheet).replaceSync(this.cssText),s&&Ft.set(t,e))}return e}toString(){return this.cssText}},Nt=i=>new D(typeof i=="string"?i:i+"",void 0,ct),y=(i,...e)=>{let t=i.length===1?i[0]:e.reduce((s,r,a)=>s+(o=>{if(o._$cssResult$===!0)return o.cssText;if(typeof o=="number")return o;throw Error("Value passed to 'css' function must be a 'css' function result: "+o+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(r)+i[a+1],i[0]);return new D(t,i,ct)},Dt=(i,e)=>{if(K)i.adoptedStyleSheets=e.map(t=>t instanceof CSSStyleSheet?t:t.styleSheet);else for(let t of e){let s=document.createElement("style"),r=q.litNonce;r!==void 0&&s.setAttribute("nonce",r),s.textContent=t.cssText,i.appendChild(s)}},ht=K?i=>i:i=>i instanceof CSSStyleSheet?(e=>{let t="";for(let s of e.cssRules)t+=s.cssText;return Nt(t)})(i):i;var{is:Re,defineProperty:He,getOwnPropertyDescriptor:Le,getOwnPropertyNames:Fe,getOwnPropertySymbols:Ne,getPrototypeOf:De}=Object,G=globalThis,Ut=G.trustedTypes,Ue=Ut?Ut.emptyScript:"",Oe=G.reactiveElementPolyfillSupport,U=(i,e)=>i,pt={toAttribute(i,e){switch(e){case Boolean:i=i?Ue:null;break;case Object:case Array:i=i==null?i:JSON.stringify(i)}return i},fromAttribute(i,e){let t=i;switch(e){case Boolean:t=i!==null;break;case Number:t=i===null?null:Number(i);break;case Object:case Array:try{t=JSON.parse(i)}catch{t=null}}return t}},Vt=(i,e)=>!Re(i,e),Ot={attribute:!0,type:String,converter:pt,reflect:!1,useDefault:!1,hasChanged:Vt};Symbol.metadata??=Symbol("metadata"),G.litPropertyMetadata??=new WeakMap;var A=class extends HTMLElement{static addInitializer(e){this._$Ei(),(this.l??=[]).push(e)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(e,t=Ot){if(t.state&&(t.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(e)&&((t=Object.create(t)).wrapped=!0),this.elementProperties.set(e,t),!t.noAccessor){let s=Symbol(),r=this.getPropertyDescriptor(e,s,t);r!==void 0&&He(this.prototype,e,r)}}static getPropertyDescriptor(e,t,s){let{get:r,set:a}=Le(this.prototype,e)??{get(){return this[t]},set(o){this[t]=o}};return{get:r,set(o){let h=r?.call(this);a?.call(this,o),this.requestUpdate(e,h,s)},configurable:!0,enumerable:!0}}static getPropertyOptions(e){return this.elementProperties.get(e)??Ot}static _$Ei(){if(this.hasOwnProperty(U("elementProperties")))return;let e=De(this);e.finalize(),e.l!==void 0&&(this.l=[...e.l]),this.elementProperties=new Map(e.elementProperties)}static finalize(){if(this.hasOwnProperty(U("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(U("properties"))){let t=this.properties,s=[...Fe(t),...Ne(t)];for(let r of s)this.createProperty(r,t[r])}let e=this[Symbol.metadata];if(e!==null){let t=litPropertyMetadata.get(e);if(t!==void 0)for(let[s,r]of t)this.elementProperties.set(s,r)}this._$Eh=new Map;for(let[t,s]of this.elementProperties){let r=this._$Eu(t,s);r!==void 0&&this._$Eh.set(r,t)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(e){let t=[];if(Array.isArray(e)){let s=new Set(e.flat(1/0).reverse());for(let r of s)t.unshift(ht(r))}else e!==void 0&&t.push(ht(e));return t}static _$Eu(e,t){let s=t.attribute;return s===!1?void 0:typeof s=="string"?s:typeof e=="string"?e.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(e=>this.enableUpdating=e),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(e=>e(this))}addController(e){(this._$EO??=new Set).add(e),this.renderRoot!==void 0&&this.isConnected&&e.hostConnected?.()}removeController(e){this._$EO?.delete(e)}_$E_(){let e=new Map,t=this.constructor.elementProperties;for(let s of t.keys())this.hasOwnProperty(s)&&(e.set(s,this[s]),delete this[s]);e.size>0&&(this._$Ep=e)}createRenderRoot(){let e=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return Dt(e,this.constructor.elementStyles),e}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(e=>e.hostConnected?.())}enableUpdating(e){}disconnectedCallback(){this._$EO?.forEach(e=>e.hostDisconnected?.())}attributeChangedCallback(e,t,s){this._$AK(e,s)}_$ET(e,t){let s=this.constructor.elementProperties.get(e),r=this.constructor._$Eu(e,s);if(r!==void 0&&s.reflect===!0){let a=(s.converter?.toAttribute!==void 0?s.converter:pt).toAttribute(t,s.type);this._$Em=e,a==null?this.removeAttribute(r):this.setAttribute(r,a),this._$Em=null}}_$AK(e,t){let s=this.constructor,r=s._$Eh.get(e);if(r!==void 0&&this._$Em!==r){let a=s.getPropertyOptions(r),o=typeof a.converter=="function"?{fromAttribute:a.converter}:a.converter?.fromAttribute!==void 0?a.converter:pt;this._$Em=r;let h=o.fromAttribute(t,a.type);this[r]=h??this._$Ej?.get(r)??h,this._$Em=null}}requestUpdate(e,t,s,r=!1,a){if(e!==void 0){let o=this.constructor;if(r===!1&&(a=this[e]),s??=o.getPropertyOptions(e),!((s.hasChanged??Vt)(a,t)||s.useDefault&&s.reflect&&a===this._$Ej?.get(e)&&!this.hasAttribute(o._$Eu(e,s))))return;this.C(e,t,s)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(e,t,{useDefault:s,reflect:r,wrapped:a},o){s&&!(this._$Ej??=new Map).has(e)&&(this._$Ej.set(e,o??t??this[e]),a!==!0||o!==void 0)||(this._$AL.has(e)||(this.hasUpdated||s||(t=void 0),this._$AL.set(e,t)),r===!0&&this._$Em!==e&&(this._$Eq??=new Set).add(e))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(t){Promise.reject(t)}let e=this.scheduleUpdate();return e!=null&&await e,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[r,a]of this._$Ep)this[r]=a;this._$Ep=void 0}let s=this.constructor.elementProperties;if(s.size>0)for(let[r,a]of s){let{wrapped:o}=a,h=this[r];o!==!0||this._$AL.has(r)||h===void 0||this.C(r,void 0,a,h)}}let e=!1,t=this._$AL;try{e=this.shouldUpdate(t),e?(this.willUpdate(t),this._$EO?.forEach(s=>s.hostUpdate?.()),this.update(t)):this._$EM()}catch(s){throw e=!1,this._$EM(),s}e&&this._$AE(t)}willUpdate(e){}_$AE(e){this._$EO?.forEach(t=>t.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(e)),this.updated(e)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(e){return!0}update(e){this._$Eq&&=this._$Eq.forEach(t=>this._$ET(t,this[t])),this._$EM()}updated(e){}firstUpdated(e){}};A.elementStyles=[],A.shadowRootOptions={mode:"open"},A[U("elementProperties")]=new Map,A[U("finalized")]=new Map,Oe?.({ReactiveElement:A}),(G.reactiveElementVersions??=[]).push("2.1.2");var mt=globalThis,Wt=i=>i,Z=mt.trustedTypes,jt=Z?Z.createPolicy("lit-html",{createHTML:i=>i}):void 0,_t="$lit$",E=`lit$${Math.random().toFixed(9).slice(2)}$`,ft="?"+E,Ve=`<${ft}>`,M=document,V=()=>M.createComment(""),W=i=>i===null||typeof i!="object"&&typeof i!="function",gt=Array.isArray,Zt=i=>gt(i)||typeof i?.[Symbol.iterator]=="function",ut=`[ 	
\f\r]`,O=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,zt=/-->/g,Bt=/>/g,I=RegExp(`>|${ut}(?:([^\\s"'>=/]+)(${ut}*=${ut}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),qt=/'/g,Kt=/"/g,Yt=/^(?:script|style|textarea|title)$/i,vt=i=>(e,...t)=>({_$litType$:i,strings:e,values:t}),n=vt(1),$t=vt(2),Xe=vt(3),k=Symbol.for("lit-noChange"),l=Symbol.for("lit-nothing"),Gt=new WeakMap,C=M.createTreeWalker(M,129);function Jt(i,e){if(!gt(i)||!i.hasOwnProperty("raw"))throw Error("invalid template strings array");return jt!==void 0?jt.createHTML(e):e}var Qt=(i,e)=>{let t=i.length-1,s=[],r,a=e===2?"<svg>":e===3?"<math>":"",o=O;for(let h=0;h<t;h++){let d=i[h],p,f,c=-1,u=0;for(;u<d.length&&(o.lastIndex=u,f=o.exec(d),f!==null);)u=o.lastIndex,o===O?f[1]==="!--"?o=zt:f[1]!==void 0?o=Bt:f[2]!==void 0?(Yt.test(f[2])&&(r=RegExp("</"+f[2],"g")),o=I):f[3]!==void 0&&(o=I):o===I?f[0]===">"?(o=r??O,c=-1):f[1]===void 0?c=-2:(c=o.lastIndex-f[2].length,p=f[1],o=f[3]===void 0?I:f[3]==='"'?Kt:qt):o===Kt||o===qt?o=I:o===zt||o===Bt?o=O:(o=I,r=void 0);let m=o===I&&i[h+1].startsWith("/>")?" ":"";a+=o===O?d+Ve:c>=0?(s.push(p),d.slice(0,c)+_t+d.slice(c)+E+m):d+E+(c===-2?h:m)}return[Jt(i,a+(i[t]||"<?>")+(e===2?"</svg>":e===3?"</math>":"")),s]},j=class i{constructor({strings:e,_$litType$:t},s){let r;this.parts=[];let a=0,o=0,h=e.length-1,d=this.parts,[p,f]=Qt(e,t);if(this.el=i.createElement(p,s),C.currentNode=this.el.content,t===2||t===3){let c=this.el.content.firstChild;c.replaceWith(...c.childNodes)}for(;(r=C.nextNode())!==null&&d.length<h;){if(r.nodeType===1){if(r.hasAttributes())for(let c of r.getAttributeNames())if(c.endsWith(_t)){let u=f[o++],m=r.getAttribute(c).split(E),g=/([.?@])?(.*)/.exec(u);d.push({type:1,index:a,name:g[2],strings:m,ctor:g[1]==="."?J:g[1]==="?"?Q:g[1]==="@"?X:R}),r.removeAttribute(c)}else c.startsWith(E)&&(d.push({type:6,index:a}),r.removeAttribute(c));if(Yt.test(r.tagName)){let c=r.textContent.split(E),u=c.length-1;if(u>0){r.textContent=Z?Z.emptyScript:"";for(let m=0;m<u;m++)r.append(c[m],V()),C.nextNode(),d.push({type:2,index:++a});r.append(c[u],V())}}}else if(r.nodeType===8)if(r.data===ft)d.push({type:2,index:a});else{let c=-1;for(;(c=r.data.indexOf(E,c+1))!==-1;)d.push({type:7,index:a}),c+=E.length-1}a++}}static createElement(e,t){let s=M.createElement("template");return s.innerHTML=e,s}};function T(i,e,t=i,s){if(e===k)return e;let r=s!==void 0?t._$Co?.[s]:t._$Cl,a=W(e)?void 0:e._$litDirective$;return r?.constructor!==a&&(r?._$AO?.(!1),a===void 0?r=void 0:(r=new a(i),r._$AT(i,t,s)),s!==void 0?(t._$Co??=[])[s]=r:t._$Cl=r),r!==void 0&&(e=T(i,r._$AS(i,e.values),r,s)),e}var Y=class{constructor(e,t){this._$AV=[],this._$AN=void 0,this._$AD=e,this._$AM=t}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(e){let{el:{content:t},parts:s}=this._$AD,r=(e?.creationScope??M).importNode(t,!0);C.currentNode=r;let a=C.nextNode(),o=0,h=0,d=s[0];for(;d!==void 0;){if(o===d.index){let p;d.type===2?p=new F(a,a.nextSibling,this,e):d.type===1?p=new d.ctor(a,d.name,d.strings,this,e):d.type===6&&(p=new tt(a,this,e)),this._$AV.push(p),d=s[++h]}o!==d?.index&&(a=C.nextNode(),o++)}return C.currentNode=M,r}p(e){let t=0;for(let s of this._$AV)s!==void 0&&(s.strings!==void 0?(s._$AI(e,s,t),t+=s.strings.length-2):s._$AI(e[t])),t++}},F=class i{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(e,t,s,r){this.type=2,this._$AH=l,this._$AN=void 0,this._$AA=e,this._$AB=t,this._$AM=s,this.options=r,this._$Cv=r?.isConnected??!0}get parentNode(){let e=this._$AA.parentNode,t=this._$AM;return t!==void 0&&e?.nodeType===11&&(e=t.parentNode),e}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(e,t=this){e=T(this,e,t),W(e)?e===l||e==null||e===""?(this._$AH!==l&&this._$AR(),this._$AH=l):e!==this._$AH&&e!==k&&this._(e):e._$litType$!==void 0?this.$(e):e.nodeType!==void 0?this.T(e):Zt(e)?this.k(e):this._(e)}O(e){return this._$AA.parentNode.insertBefore(e,this._$AB)}T(e){this._$AH!==e&&(this._$AR(),this._$AH=this.O(e))}_(e){this._$AH!==l&&W(this._$AH)?this._$AA.nextSibling.data=e:this.T(M.createTextNode(e)),this._$AH=e}$(e){let{values:t,_$litType$:s}=e,r=typeof s=="number"?this._$AC(e):(s.el===void 0&&(s.el=j.createElement(Jt(s.h,s.h[0]),this.options)),s);if(this._$AH?._$AD===r)this._$AH.p(t);else{let a=new Y(r,this),o=a.u(this.options);a.p(t),this.T(o),this._$AH=a}}_$AC(e){let t=Gt.get(e.strings);return t===void 0&&Gt.set(e.strings,t=new j(e)),t}k(e){gt(this._$AH)||(this._$AH=[],this._$AR());let t=this._$AH,s,r=0;for(let a of e)r===t.length?t.push(s=new i(this.O(V()),this.O(V()),this,this.options)):s=t[r],s._$AI(a),r++;r<t.length&&(this._$AR(s&&s._$AB.nextSibling,r),t.length=r)}_$AR(e=this._$AA.nextSibling,t){for(this._$AP?.(!1,!0,t);e!==this._$AB;){let s=Wt(e).nextSibling;Wt(e).remove(),e=s}}setConnected(e){this._$AM===void 0&&(this._$Cv=e,this._$AP?.(e))}},R=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(e,t,s,r,a){this.type=1,this._$AH=l,this._$AN=void 0,this.element=e,this.name=t,this._$AM=r,this.options=a,s.length>2||s[0]!==""||s[1]!==""?(this._$AH=Array(s.length-1).fill(new String),this.strings=s):this._$AH=l}_$AI(e,t=this,s,r){let a=this.strings,o=!1;if(a===void 0)e=T(this,e,t,0),o=!W(e)||e!==this._$AH&&e!==k,o&&(this._$AH=e);else{let h=e,d,p;for(e=a[0],d=0;d<a.length-1;d++)p=T(this,h[s+d],t,d),p===k&&(p=this._$AH[d]),o||=!W(p)||p!==this._$AH[d],p===l?e=l:e!==l&&(e+=(p??"")+a[d+1]),this._$AH[d]=p}o&&!r&&this.j(e)}j(e){e===l?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,e??"")}},J=class extends R{constructor(){super(...arguments),this.type=3}j(e){this.element[this.name]=e===l?void 0:e}},Q=class extends R{constructor(){super(...arguments),this.type=4}j(e){this.element.toggleAttribute(this.name,!!e&&e!==l)}},X=class extends R{constructor(e,t,s,r,a){super(e,t,s,r,a),this.type=5}_$AI(e,t=this){if((e=T(this,e,t,0)??l)===k)return;let s=this._$AH,r=e===l&&s!==l||e.capture!==s.capture||e.once!==s.once||e.passive!==s.passive,a=e!==l&&(s===l||r);r&&this.element.removeEventListener(this.name,this,s),a&&this.element.addEventListener(this.name,this,e),this._$AH=e}handleEvent(e){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,e):this._$AH.handleEvent(e)}},tt=class{constructor(e,t,s){this.element=e,this.type=6,this._$AN=void 0,this._$AM=t,this.options=s}get _$AU(){return this._$AM._$AU}_$AI(e){T(this,e)}},Xt={M:_t,P:E,A:ft,C:1,L:Qt,R:Y,D:Zt,V:T,I:F,H:R,N:Q,U:X,B:J,F:tt},We=mt.litHtmlPolyfillSupport;We?.(j,F),(mt.litHtmlVersions??=[]).push("3.3.3");var te=(i,e,t)=>{let s=t?.renderBefore??e,r=s._$litPart$;if(r===void 0){let a=t?.renderBefore??null;s._$litPart$=r=new F(e.insertBefore(V(),a),a,void 0,t??{})}return r._$AI(i),r};var yt=globalThis,v=class extends A{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let e=super.createRenderRoot();return this.renderOptions.renderBefore??=e.firstChild,e}update(e){let t=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(e),this._$Do=te(t,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return k}};v._$litElement$=!0,v.finalized=!0,yt.litElementHydrateSupport?.({LitElement:v});var je=yt.litElementPolyfillSupport;je?.({LitElement:v});(yt.litElementVersions??=[]).push("4.2.2");function bt(i){let e={};for(let[t,s]of Object.entries(i))s===void 0||s===""||(t==="store_id"?e.store_ids=[s]:e[t]=s);return e}function ee(i){return i.connection.sendMessagePromise({type:"smartshop/stores"})}function et(i,e,t){return i.connection.sendMessagePromise({type:"smartshop/incidents/list",limit:25,...bt(e),...t?{cursor:t}:{}})}function se(i,e){return i.connection.sendMessagePromise({type:"smartshop/incidents/get",incident_id:e})}async function ie(i,e,t,s){return(await i.connection.sendMessagePromise({type:"smartshop/incidents/review",incident_id:e,decision:t,...s?{reason:s}:{}})).incident}function st(i,e){return i.connection.sendMessagePromise({type:"smartshop/trends",...bt(e)})}async function re(i,e){return(await i.connection.sendMessagePromise({type:"smartshop/watchlist/list",...bt({store_id:e})})).people}async function ae(i,e,t){await i.connection.sendMessagePromise({type:"smartshop/watchlist/update",person_id:e,...t})}function oe(i,e){return i.connection.sendMessagePromise({type:"smartshop/watchlist/remove",person_id:e})}function ne(i,e,t,s){return i.connection.sendMessagePromise({type:"smartshop/reports/generate",start:e,end:t,...s?{store_id:s}:{}})}function de(i,e){return i.connection.subscribeMessage(t=>e(t.data),{type:"subscribe_events",event_type:"smartshop_report_progress"})}function le(i,e){return i.connection.sendMessagePromise({type:"smartshop/incidents/evidence_pack",incident_id:e})}function ce(i,e){return i.connection.sendMessagePromise({type:"smartshop/watchlist/export",person_id:e})}async function he(i){return(await i.connection.sendMessagePromise({type:"smartshop/exports/list"})).files}function pe(i,e){return i.connection.subscribeMessage(e,{type:"smartshop/subscribe_matches"})}function $(i){return i&&typeof i=="object"&&"message"in i?String(i.message):String(i)}function ue(i){return i?.locale?.language??i?.language??"en"}function me(i){return i?.config?.time_zone||void 0}function H(i,e){if(!e)return"—";let t=new Date(e);return Number.isNaN(t.getTime())?e:new Intl.DateTimeFormat(ue(i),{dateStyle:"medium",timeStyle:"short",timeZone:me(i)}).format(t)}function z(i,e){if(!e)return"—";let t=new Date(e);return Number.isNaN(t.getTime())?e:new Intl.DateTimeFormat(ue(i),{dateStyle:"medium",timeZone:me(i)}).format(t)}function it(i){return`${i.toFixed(1)}%`}function xt(i){return i==null?"—":i<90?`${Math.round(i)} s`:i<5400?`${Math.round(i/60)} min`:i<36*3600?`${(i/3600).toFixed(1)} h`:`${(i/86400).toFixed(1)} d`}var _e=["Mon","Tue","Wed","Thu","Fri","Sat","Sun"];function L(i){return{pending:"Waiting for review",confirmed:"Confirmed",confirm:"Confirmed",dismissed:"Not them",dismiss:"Not them"}[i]??i}function rt(i){let e=new Date(i),t=s=>String(s).padStart(2,"0");return`${e.getFullYear()}-${t(e.getMonth()+1)}-${t(e.getDate())}`}function fe(i){return i<1e3?`${i} B`:i<1e3*1e3?`${(i/1e3).toFixed(1)} kB`:`${(i/1e3/1e3).toFixed(1)} MB`}function wt(i,e=new Date){let t=new Date(e);return t.setDate(t.getDate()-i),rt(t.toISOString())}var b=y`
  :host {
    display: block;
    color: var(--primary-text-color, #212121);
    font-family: var(--paper-font-body1_-_font-family, var(--ha-font-family-body, Roboto, sans-serif));
  }
  .card {
    background: var(--card-background-color, #fff);
    border: 1px solid var(--divider-color, #e0e0e0);
    border-radius: var(--ha-card-border-radius, 12px);
    padding: 16px;
    box-sizing: border-box;
    min-width: 0;
  }
  h2 {
    font-size: 1.1rem;
    font-weight: 500;
    margin: 0 0 12px;
  }
  h3 {
    font-size: 1rem;
    font-weight: 500;
    margin: 0 0 8px;
  }
  .muted {
    color: var(--secondary-text-color, #727272);
  }
  .error {
    color: var(--error-color, #db4437);
  }
  button {
    font: inherit;
    cursor: pointer;
    border-radius: 8px;
    padding: 8px 14px;
    border: 1px solid var(--divider-color, #e0e0e0);
    background: var(--card-background-color, #fff);
    color: var(--primary-text-color, #212121);
    min-height: 36px;
  }
  button.primary {
    background: var(--primary-color, #03a9f4);
    border-color: var(--primary-color, #03a9f4);
    color: var(--text-primary-color, #fff);
  }
  button.danger {
    color: var(--error-color, #db4437);
    border-color: var(--error-color, #db4437);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  input,
  select,
  textarea {
    font: inherit;
    color: var(--primary-text-color, #212121);
    background: var(--secondary-background-color, #fafafa);
    border: 1px solid var(--divider-color, #e0e0e0);
    border-radius: 6px;
    padding: 6px 8px;
    box-sizing: border-box;
    max-width: 100%;
  }
  label {
    display: flex;
    flex-direction: column;
    gap: 4px;
    font-size: 0.85rem;
    color: var(--secondary-text-color, #727272);
  }
  .photos {
    display: grid;
    grid-template-columns: 1fr 1fr;
    gap: 8px;
  }
  figure {
    margin: 0;
    min-width: 0;
  }
  figure img,
  figure .nophoto {
    width: 100%;
    aspect-ratio: 1;
    object-fit: cover;
    border-radius: 8px;
    background: var(--secondary-background-color, #f0f0f0);
    display: block;
  }
  figure .nophoto {
    display: flex;
    align-items: center;
    justify-content: center;
    font-size: 0.8rem;
    color: var(--secondary-text-color, #727272);
  }
  figcaption {
    font-size: 0.8rem;
    color: var(--secondary-text-color, #727272);
    margin-top: 4px;
  }
  .chip {
    display: inline-block;
    font-size: 0.75rem;
    padding: 2px 8px;
    border-radius: 10px;
    background: var(--secondary-background-color, #eee);
    color: var(--primary-text-color, #212121);
    white-space: nowrap;
  }
  .chip.pending {
    background: var(--warning-color, #ffa600);
    color: #000;
  }
  .chip.confirmed {
    background: var(--error-color, #db4437);
    color: #fff;
  }
  .chip.dismissed {
    background: var(--success-color, #43a047);
    color: #fff;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    margin-top: 12px;
  }
  dl {
    display: grid;
    grid-template-columns: auto 1fr;
    gap: 2px 12px;
    margin: 8px 0 0;
    font-size: 0.9rem;
  }
  dt {
    color: var(--secondary-text-color, #727272);
  }
  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 0.9rem;
  }
  th,
  td {
    text-align: left;
    padding: 6px 8px;
    border-bottom: 1px solid var(--divider-color, #e0e0e0);
  }
  th {
    font-weight: 500;
    color: var(--secondary-text-color, #727272);
  }
  .scroll {
    overflow-x: auto;
  }
`;function x(i,e){customElements.get(i)||customElements.define(i,e)}function B(i){return{incident_id:i.incident_id,snapshot_url:i.snapshot_url,reference_url:i.reference_url,similarity:i.similarity,camera:i.camera,location:i.location,store_name:i.store_name,watchlist:i.watchlist,category:i.category,seen_at:i.occurred_at,review_status:i.review_status,review_reason:i.review_reason}}function ge(i){return{incident_id:i.incident_id,snapshot_url:i.snapshot_url,reference_url:i.reference_url,similarity:i.similarity,camera:i.camera,location:i.location,store_name:i.store,watchlist:i.watchlist,category:i.category,seen_at:i.seen_at,review_status:"pending",review_reason:null}}function at(i,e){return n`<figure>
    ${i?n`<img src=${i} alt=${e} loading="lazy" />`:n`<div class="nophoto">No photo kept</div>`}
    <figcaption>${e}</figcaption>
  </figure>`}var At=class extends v{static{this.properties={hass:{attribute:!1},match:{attribute:!1},_asking:{state:!0},_reason:{state:!0},_busy:{state:!0},_error:{state:!0}}}constructor(){super(),this._asking=!1,this._reason="",this._busy=!1,this._error=""}static{this.styles=[b,y`
      .card {
        display: flex;
        flex-direction: column;
        gap: 8px;
        height: 100%;
      }
      .head {
        display: flex;
        justify-content: space-between;
        align-items: baseline;
        gap: 8px;
      }
      .similarity {
        font-size: 1.4rem;
        font-weight: 500;
      }
      textarea {
        width: 100%;
        min-height: 60px;
      }
    `]}willUpdate(e){e.has("match")&&e.get("match")?.incident_id!==this.match.incident_id&&(this._asking=!1,this._reason="",this._error="")}async _review(e){this._busy=!0,this._error="";try{let t=await ie(this.hass,this.match.incident_id,e,e==="dismiss"?this._reason.trim():void 0);this._asking=!1,this.dispatchEvent(new CustomEvent("reviewed",{detail:t,bubbles:!0,composed:!0}))}catch(t){this._error=$(t)}finally{this._busy=!1}}_buttons(){return this.match.review_status!=="pending"?n`<div>
        <span class="chip ${this.match.review_status}">${L(this.match.review_status)}</span>
        ${this.match.review_reason?n`<span class="muted">${this.match.review_reason}</span>`:l}
      </div>`:this._asking?n`<label
          >Why is it not them?
          <textarea
            name="reason"
            .value=${this._reason}
            @input=${e=>{this._reason=e.target.value}}
          ></textarea>
        </label>
        <div class="actions">
          <button
            class="primary"
            ?disabled=${this._busy||!this._reason.trim()}
            @click=${()=>this._review("dismiss")}
          >
            Dismiss: not them
          </button>
          <button ?disabled=${this._busy} @click=${()=>this._asking=!1}>Cancel</button>
        </div>`:n`<div class="actions">
      <button class="primary" ?disabled=${this._busy} @click=${()=>this._review("confirm")}>
        Confirm
      </button>
      <button ?disabled=${this._busy} @click=${()=>this._asking=!0}>Not them</button>
    </div>`}render(){let e=this.match;return n`<div class="card" data-incident=${e.incident_id}>
      <div class="head">
        <span class="similarity">${it(e.similarity)}</span>
        <span class="chip">${e.category}</span>
      </div>
      <div class="photos">
        ${at(e.snapshot_url,"At the door")} ${at(e.reference_url,"Watchlist photo")}
      </div>
      <dl>
        <dt>Camera</dt>
        <dd>${e.camera}</dd>
        <dt>Location</dt>
        <dd>${e.location||"—"}</dd>
        <dt>Store</dt>
        <dd>${e.store_name}</dd>
        <dt>Watchlist</dt>
        <dd>${e.watchlist}</dd>
        <dt>Seen</dt>
        <dd>${H(this.hass,e.seen_at)}</dd>
      </dl>
      ${this._buttons()} ${this._error?n`<div class="error">${this._error}</div>`:l}
    </div>`}};x("smartshop-match-card",At);var Pt=["theft","banned","violence","other"];function Et(i){return typeof i=="string"&&i?i:null}function ve(i){let e=i.review_history.map(s=>({decision:L(Et(s.details.decision)??Et(s.details.status)??"reviewed"),at:s.at,actor:s.actor,reason:Et(s.details.reason)})),t=i.incident;return e.length===0&&t.review_status!=="pending"&&t.reviewed_at&&e.push({decision:L(t.review_status),at:t.reviewed_at,actor:t.reviewed_by??"",reason:t.review_reason}),e}var kt=class extends v{constructor(){super();this._loadedFor=null;this._request=0;this._filters={},this._rows=[],this._cursors=[null],this._next=null,this._loading=!1,this._error="",this._detail=null,this._cameras=[],this.stores=[],this.isAdmin=!1,this._pack=null,this._packing=!1,this._packError=""}static{this.properties={hass:{attribute:!1},storeId:{attribute:!1},stores:{attribute:!1},isAdmin:{attribute:!1},_filters:{state:!0},_rows:{state:!0},_cursors:{state:!0},_next:{state:!0},_loading:{state:!0},_error:{state:!0},_detail:{state:!0},_cameras:{state:!0},_pack:{state:!0},_packing:{state:!0},_packError:{state:!0}}}static{this.styles=[b,y`
      .filters {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
        gap: 8px;
        align-items: end;
        margin-bottom: 12px;
      }
      tbody tr {
        cursor: pointer;
      }
      tbody tr:hover {
        background: var(--secondary-background-color, #f5f5f5);
      }
      .pager {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: 8px;
        margin-top: 12px;
      }
      .detail {
        margin-top: 16px;
        display: grid;
        grid-template-columns: minmax(0, 2fr) minmax(0, 3fr);
        gap: 16px;
      }
      .detail .photos {
        max-width: 480px;
      }
      .evidence a {
        align-self: center;
        color: var(--primary-color, #03a9f4);
        overflow-wrap: anywhere;
      }
      .history {
        list-style: none;
        padding: 0;
        margin: 0;
      }
      .history li {
        padding: 6px 0;
        border-bottom: 1px solid var(--divider-color, #e0e0e0);
      }
      .hide-narrow {
        display: table-cell;
      }
      @media (max-width: 600px) {
        .detail {
          grid-template-columns: 1fr;
        }
        .hide-narrow {
          display: none;
        }
        .filters {
          grid-template-columns: 1fr 1fr;
        }
      }
    `]}updated(t){if((t.has("hass")||t.has("storeId"))&&this.hass){let s=this.storeId??void 0;this._loadedFor!==s&&(this._loadedFor=s,this._detail=null,this._load(null,[null]),this._loadChoices(s))}}_query(){return{...this._filters,store_id:this.storeId??void 0}}async _loadChoices(t){try{let s=await st(this.hass,{store_id:t});this._loadedFor===t&&(this._cameras=s.outcomes.camera??[])}catch{}}async _load(t,s){let r=++this._request;this._loading=!0,this._error="";try{let a=await et(this.hass,this._query(),t);if(r!==this._request)return;this._rows=a.incidents,this._next=a.next_cursor,this._cursors=s}catch(a){r===this._request&&(this._error=$(a))}finally{r===this._request&&(this._loading=!1)}}_setFilter(t,s){let r={...this._filters};if(t==="start"||t==="end")if(s){let a=new Date(`${s}T00:00:00`);t==="end"&&a.setDate(a.getDate()+1),r[t]=a.toISOString()}else delete r[t];else s?r[t]=s:delete r[t];this._filters=r,this._detail=null,this._load(null,[null])}async _open(t){this._error="",this._detail?.incident.incident_id!==t.incident_id&&(this._pack=null,this._packError="");try{this._detail=await se(this.hass,t.incident_id),await this.updateComplete,this.renderRoot.querySelector(".detail")?.scrollIntoView({block:"nearest"})}catch(s){this._error=$(s)}}async _reviewed(t){let s=t.detail;this._rows=this._rows.map(r=>r.incident_id===s.incident_id?{...r,...s}:r),await this._open(s)}async _makePack(t){this._packing=!0,this._packError="";try{this._pack=await le(this.hass,t)}catch(s){this._packError=$(s)}finally{this._packing=!1}}_evidence(t){return!this.isAdmin||t.review_status!=="confirmed"?l:n`<div class="evidence">
      <div class="actions">
        <button
          name="evidence-pack"
          ?disabled=${this._packing}
          @click=${()=>this._makePack(t.incident_id)}
        >
          ${this._packing?"Working…":"Evidence pack"}
        </button>
        ${this._pack?n`<a name="evidence-download" href=${this._pack.url} download=${this._pack.file}
              >${this._pack.file}</a
            >`:l}
      </div>
      ${this._packError?n`<p class="error">${this._packError}</p>`:l}
    </div>`}_select(t,s,r){return n`<label
      >${s}
      <select
        name=${t}
        @change=${a=>this._setFilter(t,a.target.value)}
      >
        <option value="" ?selected=${!this._filters[t]}>All</option>
        ${r.map(a=>n`<option value=${a.value} ?selected=${this._filters[t]===a.value}>
              ${a.label}
            </option>`)}
      </select>
    </label>`}_filtersBar(){let t=["pending","confirmed","dismissed"];return n`<div class="filters">
      ${this._select("camera","Camera",this._cameras.map(s=>({value:s.key,label:s.label})))}
      ${this._select("watchlist_id","Watchlist",this.stores.filter(s=>!this.storeId||s.store_id===this.storeId).flatMap(s=>s.watchlists.map(r=>({value:r.watchlist_id,label:this.storeId?r.name:`${r.name} (${s.name})`}))))}
      ${this._select("category","Category",Pt.map(s=>({value:s,label:s})))}
      ${this._select("review_status","Review",t.map(s=>({value:s,label:L(s)})))}
      <label
        >From
        <input
          type="date"
          name="start"
          @change=${s=>this._setFilter("start",s.target.value)}
        />
      </label>
      <label
        >Until
        <input
          type="date"
          name="end"
          @change=${s=>this._setFilter("end",s.target.value)}
        />
      </label>
    </div>`}_table(){return this._rows.length===0?n`<p class="muted">${this._loading?"Loading…":"No incident matches these filters."}</p>`:n`<div class="scroll">
      <table>
        <thead>
          <tr>
            <th>Seen</th>
            <th>Camera</th>
            <th class="hide-narrow">Watchlist</th>
            <th class="hide-narrow">Category</th>
            <th>Similarity</th>
            <th>Review</th>
          </tr>
        </thead>
        <tbody>
          ${this._rows.map(t=>n`<tr data-incident=${t.incident_id} @click=${()=>this._open(t)}>
                <td>${H(this.hass,t.occurred_at)}</td>
                <td>${t.camera}</td>
                <td class="hide-narrow">${t.watchlist}</td>
                <td class="hide-narrow">${t.category}</td>
                <td>${it(t.similarity)}</td>
                <td><span class="chip ${t.review_status}">${L(t.review_status)}</span></td>
              </tr>`)}
        </tbody>
      </table>
    </div>`}_pager(){let t=this._cursors.length;return n`<div class="pager">
      <button
        name="previous"
        ?disabled=${this._loading||t<=1}
        @click=${()=>{let s=this._cursors.slice(0,-1);this._load(s[s.length-1]??null,s)}}
      >
        Previous
      </button>
      <span class="muted">Page ${t}</span>
      <button
        name="next"
        ?disabled=${this._loading||!this._next}
        @click=${()=>{let s=this._next;this._load(s,[...this._cursors,s])}}
      >
        Next
      </button>
    </div>`}_detailCard(t){let s=t.incident;return n`<div class="card detail" @reviewed=${this._reviewed}>
      <smartshop-match-card .hass=${this.hass} .match=${B(s)}></smartshop-match-card>
      <div>
        <h3>Review history</h3>
        ${ve(t).length===0?n`<p class="muted">Not reviewed yet.</p>`:n`<ul class="history">
              ${ve(t).map(r=>n`<li>
                    <strong>${r.decision}</strong> · ${H(this.hass,r.at)}
                    ${r.actor?n`<span class="muted">by ${r.actor}</span>`:l}
                    ${r.reason?n`<div>${r.reason}</div>`:l}
                  </li>`)}
            </ul>`}
        <dl>
          <dt>Incident</dt>
          <dd>${s.incident_id}</dd>
          <dt>Person</dt>
          <dd>${t.person?.name??(s.person_id||"anonymised")}</dd>
        </dl>
        ${this._evidence(s)}
        <div class="actions"><button @click=${()=>this._detail=null}>Close</button></div>
      </div>
    </div>`}render(){return n`<div class="card">
        <h2>Incidents</h2>
        ${this._filtersBar()} ${this._error?n`<p class="error">${this._error}</p>`:l}
        ${this._table()} ${this._pager()}
      </div>
      ${this._detail?this._detailCard(this._detail):l}`}};x("smartshop-incidents-view",kt);var $e={ATTRIBUTE:1,CHILD:2,PROPERTY:3,BOOLEAN_ATTRIBUTE:4,EVENT:5,ELEMENT:6},ye=i=>(...e)=>({_$litDirective$:i,values:e}),ot=class{constructor(e){}get _$AU(){return this._$AM._$AU}_$AT(e,t,s){this._$Ct=e,this._$AM=t,this._$Ci=s}_$AS(e,t){return this.update(e,t)}update(e,t){return this.render(...t)}};var{I:ze}=Xt,be=i=>i;var xe=()=>document.createComment(""),N=(i,e,t)=>{let s=i._$AA.parentNode,r=e===void 0?i._$AB:e._$AA;if(t===void 0){let a=s.insertBefore(xe(),r),o=s.insertBefore(xe(),r);t=new ze(a,o,i,i.options)}else{let a=t._$AB.nextSibling,o=t._$AM,h=o!==i;if(h){let d;t._$AQ?.(i),t._$AM=i,t._$AP!==void 0&&(d=i._$AU)!==o._$AU&&t._$AP(d)}if(a!==r||h){let d=t._$AA;for(;d!==a;){let p=be(d).nextSibling;be(s).insertBefore(d,r),d=p}}}return t},P=(i,e,t=i)=>(i._$AI(e,t),i),Be={},we=(i,e=Be)=>i._$AH=e,Ae=i=>i._$AH,nt=i=>{i._$AR(),i._$AA.remove()};var Ee=(i,e,t)=>{let s=new Map;for(let r=e;r<=t;r++)s.set(i[r],r);return s},ke=ye(class extends ot{constructor(i){if(super(i),i.type!==$e.CHILD)throw Error("repeat() can only be used in text expressions")}dt(i,e,t){let s;t===void 0?t=e:e!==void 0&&(s=e);let r=[],a=[],o=0;for(let h of i)r[o]=s?s(h,o):o,a[o]=t(h,o),o++;return{values:a,keys:r}}render(i,e,t){return this.dt(i,e,t).values}update(i,[e,t,s]){let r=Ae(i),{values:a,keys:o}=this.dt(e,t,s);if(!Array.isArray(r))return this.ut=o,a;let h=this.ut??=[],d=[],p,f,c=0,u=r.length-1,m=0,g=a.length-1;for(;c<=u&&m<=g;)if(r[c]===null)c++;else if(r[u]===null)u--;else if(h[c]===o[m])d[m]=P(r[c],a[m]),c++,m++;else if(h[u]===o[g])d[g]=P(r[u],a[g]),u--,g--;else if(h[c]===o[g])d[g]=P(r[c],a[g]),N(i,d[g+1],r[c]),c++,g--;else if(h[u]===o[m])d[m]=P(r[u],a[m]),N(i,r[c],r[u]),u--,m++;else if(p===void 0&&(p=Ee(o,m,g),f=Ee(h,c,u)),p.has(h[c]))if(p.has(h[u])){let _=f.get(o[m]),w=_!==void 0?r[_]:null;if(w===null){let S=N(i,r[c]);P(S,a[m]),d[m]=S}else d[m]=P(w,a[m]),N(i,r[c],w),r[_]=null;m++}else nt(r[u]),u--;else nt(r[c]),c++;for(;m<=g;){let _=N(i,d[g+1]);P(_,a[m]),d[m++]=_}for(;c<=u;){let _=r[c++];_!==null&&nt(_)}return this.ut=o,we(i,d),k}});var Pe=30,St=class extends v{constructor(){super();this._unsubscribe=null;this._subscribedFor=null;this._matches=[],this._connected=!1,this._error=""}static{this.properties={hass:{attribute:!1},storeId:{attribute:!1},_matches:{state:!0},_connected:{state:!0},_error:{state:!0}}}static{this.styles=[b,y`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(300px, 1fr));
        gap: 16px;
      }
      .status {
        display: flex;
        align-items: center;
        gap: 8px;
        margin-bottom: 12px;
      }
      .dot {
        width: 10px;
        height: 10px;
        border-radius: 50%;
        background: var(--disabled-text-color, #bdbdbd);
      }
      .dot.on {
        background: var(--success-color, #43a047);
      }
      smartshop-match-card.new {
        animation: arrive 1.2s ease-out;
      }
      @keyframes arrive {
        from {
          box-shadow: 0 0 0 4px var(--primary-color, #03a9f4);
        }
      }
      @media (max-width: 600px) {
        .grid {
          grid-template-columns: 1fr;
        }
      }
    `]}connectedCallback(){super.connectedCallback(),this.hass&&this._start()}disconnectedCallback(){super.disconnectedCallback(),this._stop()}updated(t){(t.has("hass")||t.has("storeId"))&&this.hass&&this.isConnected&&this._subscribedFor!==(this.storeId??void 0)&&this._start()}_stop(){let t=this._unsubscribe;this._unsubscribe=null,this._subscribedFor=null,this._connected=!1,t?.then(s=>s()).catch(()=>{})}_start(){this._stop();let t=this.storeId??void 0;this._subscribedFor=t,this._error="",this._unsubscribe=pe(this.hass,s=>{(t===void 0||s.config_entry_id===t)&&this._arrived(s)}),this._unsubscribe.then(()=>{this._subscribedFor===t&&(this._connected=!0)},s=>{this._error=$(s)}),this._loadPending(t)}async _loadPending(t){try{let s=await et(this.hass,{store_id:t,review_status:"pending"},null);if(this._subscribedFor!==t)return;let r=new Set(this._matches.map(o=>o.incident_id)),a=s.incidents.filter(o=>!r.has(o.incident_id));this._matches=[...this._matches,...a.map(B)].slice(0,Pe)}catch(s){this._error=$(s)}}_arrived(t){let s=this._matches.filter(r=>r.incident_id!==t.incident_id);this._matches=[ge(t),...s].slice(0,Pe),this.dispatchEvent(new CustomEvent("matched",{bubbles:!0,composed:!0}))}_reviewed(t){let s=B(t.detail);this._matches=this._matches.map(r=>r.incident_id===s.incident_id?{...r,review_status:s.review_status,review_reason:s.review_reason}:r)}render(){return n`<div class="status">
        <span class="dot ${this._connected?"on":""}"></span>
        <span class="muted"
          >${this._connected?"Listening for matches":"Connecting…"}</span
        >
      </div>
      ${this._error?n`<p class="error">${this._error}</p>`:l}
      ${this._matches.length===0?n`<div class="card muted">No match waiting for review. New matches appear here.</div>`:n`<div class="grid" @reviewed=${this._reviewed}>
            ${ke(this._matches,t=>t.incident_id,t=>n`<smartshop-match-card
                  .hass=${this.hass}
                  .match=${t}
                ></smartshop-match-card>`)}
          </div>`}`}};x("smartshop-live-view",St);var qe={report:"Report",evidence_pack:"Evidence pack",subject_access:"Subject access",audit_log:"Audit log",other:"File"},It=class extends v{constructor(){super();this._loaded=!1;this.stores=[],this._start=wt(6),this._end=wt(0),this._working=!1,this._step="",this._report=null,this._files=null,this._error=""}static{this.properties={hass:{attribute:!1},storeId:{attribute:!1},stores:{attribute:!1},_start:{state:!0},_end:{state:!0},_working:{state:!0},_step:{state:!0},_report:{state:!0},_files:{state:!0},_error:{state:!0}}}static{this.styles=[b,y`
      .period {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
        gap: 8px;
        align-items: end;
      }
      .made {
        margin-top: 12px;
      }
      .links {
        display: flex;
        flex-wrap: wrap;
        gap: 12px;
        margin-top: 8px;
      }
      a {
        color: var(--primary-color, #03a9f4);
      }
      .files {
        margin-top: 16px;
      }
      .name {
        overflow-wrap: anywhere;
      }
      @media (max-width: 600px) {
        .period {
          grid-template-columns: 1fr 1fr;
        }
        .hide-narrow {
          display: none;
        }
      }
    `]}updated(t){t.has("hass")&&this.hass&&!this._loaded&&(this._loaded=!0,this._loadFiles())}async _loadFiles(){try{this._files=await he(this.hass)}catch(t){this._files=[],this._error=$(t)}}_storeName(){return this.storeId?this.stores.find(t=>t.store_id===this.storeId)?.name??this.storeId:"All stores"}async _make(){this._working=!0,this._step="",this._error="",this._report=null;let t=null;try{t=await de(this.hass,s=>{this._step=`${s.step} (${s.done})`}).catch(()=>null),this._report=await ne(this.hass,this._start,this._end,this.storeId),await this._loadFiles()}catch(s){this._error=$(s)}finally{t&&await t(),this._working=!1}}_made(t){return n`<div class="made" data-report=${t.pdf}>
      <div>
        ${t.start} – ${t.end}: ${t.incidents} incidents · ${t.confirmed}
        confirmed · ${t.dismissed} not them · ${t.pending} waiting
      </div>
      <div class="links">
        <a name="pdf" href=${t.pdf_url} download=${t.pdf}>PDF report</a>
        <a name="csv" href=${t.csv_url} download=${t.csv}>CSV table</a>
      </div>
    </div>`}_fileList(t){return t.length===0?n`<p class="muted">No files yet.</p>`:n`<div class="scroll">
      <table>
        <thead>
          <tr>
            <th>File</th>
            <th>Kind</th>
            <th class="hide-narrow">Size</th>
            <th class="hide-narrow">Made</th>
          </tr>
        </thead>
        <tbody>
          ${t.map(s=>n`<tr data-file=${s.name}>
                <td class="name"><a href=${s.url} download=${s.name}>${s.name}</a></td>
                <td>${qe[s.kind]??s.kind}</td>
                <td class="hide-narrow">${fe(s.size)}</td>
                <td class="hide-narrow">${H(this.hass,s.modified)}</td>
              </tr>`)}
        </tbody>
      </table>
    </div>`}render(){return n`<div class="card">
        <h2>Period report</h2>
        <p class="muted">
          A PDF with the period's figures and charts and a CSV of its incidents, without names.
          Store: ${this._storeName()}.
        </p>
        <div class="period">
          <label
            >From
            <input
              type="date"
              name="start"
              .value=${this._start}
              @change=${t=>this._start=t.target.value}
            />
          </label>
          <label
            >Until
            <input
              type="date"
              name="end"
              .value=${this._end}
              @change=${t=>this._end=t.target.value}
            />
          </label>
        </div>
        <div class="actions">
          <button
            class="primary"
            name="make-report"
            ?disabled=${this._working||!this._start||!this._end}
            @click=${this._make}
          >
            ${this._working?"Working…":"Make report"}
          </button>
          ${this._working&&this._step?n`<span class="muted" role="status">${this._step}</span>`:l}
        </div>
        ${this._error?n`<p class="error">${this._error}</p>`:l}
        ${this._report?this._made(this._report):l}
      </div>
      <div class="card files">
        <h2>Exports folder</h2>
        ${this._files===null?n`<p class="muted">Loading…</p>`:this._fileList(this._files)}
      </div>`}};x("smartshop-reports-view",It);var dt=["var(--primary-color, #03a9f4)","var(--accent-color, #ff9800)","#8e24aa","#43a047","#e53935","#6d4c41","#00897b","#3949ab"],Ct=class extends v{constructor(){super();this._loadedFor=null;this._trends=null,this._by="camera",this._error=""}static{this.properties={hass:{attribute:!1},storeId:{attribute:!1},_trends:{state:!0},_by:{state:!0},_error:{state:!0}}}static{this.styles=[b,y`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(320px, 1fr));
        gap: 16px;
      }
      .wide {
        grid-column: 1 / -1;
      }
      .heatmap {
        display: grid;
        grid-template-columns: 2.5em repeat(24, minmax(0, 1fr));
        gap: 2px;
        font-size: 0.7rem;
      }
      .heatmap .cell {
        aspect-ratio: 1.6;
        border-radius: 2px;
        background: var(--secondary-background-color, #f0f0f0);
      }
      .heatmap .hour,
      .heatmap .weekday {
        color: var(--secondary-text-color, #727272);
        text-align: center;
        overflow: hidden;
      }
      .heatmap .weekday {
        text-align: left;
      }
      svg {
        width: 100%;
        height: auto;
        max-height: 240px;
        display: block;
      }
      svg text {
        fill: var(--secondary-text-color, #727272);
        font-size: 10px;
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 12px;
        font-size: 0.8rem;
        margin-top: 8px;
      }
      .swatch {
        display: inline-block;
        width: 10px;
        height: 10px;
        border-radius: 2px;
        margin-right: 4px;
      }
      .bar {
        display: flex;
        height: 10px;
        border-radius: 5px;
        overflow: hidden;
        background: var(--secondary-background-color, #f0f0f0);
        min-width: 60px;
      }
      .bar .confirmed {
        background: var(--error-color, #db4437);
      }
      .bar .dismissed {
        background: var(--success-color, #43a047);
      }
      .bar .pending {
        background: var(--warning-color, #ffa600);
      }
      .figures {
        display: flex;
        gap: 24px;
        flex-wrap: wrap;
      }
      .figure strong {
        display: block;
        font-size: 1.6rem;
        font-weight: 500;
      }
      .head {
        display: flex;
        justify-content: space-between;
        align-items: baseline;
        gap: 8px;
        flex-wrap: wrap;
      }
      @media (max-width: 600px) {
        .heatmap .hour:not(.every6) {
          visibility: hidden;
        }
      }
    `]}updated(t){if((t.has("hass")||t.has("storeId"))&&this.hass){let s=this.storeId??void 0;this._loadedFor!==s&&(this._loadedFor=s,this._load(s))}}async _load(t){this._error="";try{let s=await st(this.hass,{store_id:t});this._loadedFor===t&&(this._trends=s)}catch(s){this._error=$(s)}}_heatmap(t){let s=new Map(t.heatmap.map(o=>[`${o.weekday}:${o.hour}`,o.count])),r=Math.max(1,...t.heatmap.map(o=>o.count)),a=Array.from({length:24},(o,h)=>h);return n`<div class="card wide">
      <h3>When: weekday × hour (shop time)</h3>
      <div class="heatmap" role="grid" aria-label="Incidents by weekday and hour">
        <span></span>
        ${a.map(o=>n`<span class="hour ${o%6===0?"every6":""}">${o}</span>`)}
        ${_e.map((o,h)=>n`<span class="weekday">${o}</span>
            ${a.map(d=>{let p=s.get(`${h+1}:${d}`)??0,f=Math.round(100*p/r),c=p?`background: color-mix(in srgb, var(--primary-color, #03a9f4) ${Math.max(f,12)}%, transparent)`:"";return n`<span
                class="cell"
                role="gridcell"
                data-count=${p}
                title="${o} ${d}:00 — ${p} incident${p===1?"":"s"}"
                style=${c}
              ></span>`})}`)}
      </div>
    </div>`}_weekly(t){let s=t.weekly[this._by]??[],r=[...new Set(s.map(_=>_.week))].sort(),a=[...new Set(s.map(_=>_.key))],o=new Map(s.map(_=>[_.key,_.label])),h=r.map(_=>s.filter(w=>w.week===_).reduce((w,S)=>w+S.count,0)),d=Math.max(1,...h),p=800,f=200,c=20,u=r.length?p/r.length:p,m=Math.max(4,Math.min(48,u*.7)),g=r.flatMap((_,w)=>{let S=f-c,Ie=w*u+(u-m)/2,Ce=a.map((Rt,Te)=>{let lt=s.find(Lt=>Lt.week===_&&Lt.key===Rt)?.count??0,Ht=(f-c-10)*lt/d;return S-=Ht,lt?$t`<rect x=${Ie} y=${S} width=${m} height=${Ht}
              fill=${dt[Te%dt.length]}><title>${_} · ${o.get(Rt)}: ${lt}</title></rect>`:l}),Me=r.length<=12||w%Math.ceil(r.length/12)===0;return[...Ce,Me?$t`<text x=${w*u+u/2} y=${f-6} text-anchor="middle">${_.slice(5)}</text>`:l]});return n`<div class="card wide">
      <div class="head">
        <h3>Week by week</h3>
        <label
          >By
          <select
            name="weekly-by"
            @change=${_=>{this._by=_.target.value}}
          >
            ${["store","camera","category"].map(_=>n`<option value=${_} ?selected=${_===this._by}>${_}</option>`)}
          </select>
        </label>
      </div>
      ${r.length===0?n`<p class="muted">No incidents yet.</p>`:n`<svg viewBox="0 0 ${p} ${f}" role="img" aria-label="Incidents per week">
              <line
                x1="0"
                x2=${p}
                y1=${f-c}
                y2=${f-c}
                stroke="var(--divider-color, #e0e0e0)"
              ></line>
              ${g}
            </svg>
            <div class="legend">
              ${a.map((_,w)=>n`<span
                    ><span class="swatch" style="background: ${dt[w%dt.length]}"></span
                    >${o.get(_)}</span
                  >`)}
            </div>`}
    </div>`}_outcomes(t,s){return n`<div class="card">
      <h3>${t}</h3>
      ${s.length===0?n`<p class="muted">No reviews yet.</p>`:n`<table>
            <thead>
              <tr>
                <th></th>
                <th>Confirmed</th>
                <th>Not them</th>
                <th>Waiting</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${s.map(r=>{let a=Math.max(1,r.confirmed+r.dismissed+r.pending);return n`<tr>
                  <td>${r.label}</td>
                  <td>${r.confirmed}</td>
                  <td>${r.dismissed}</td>
                  <td>${r.pending}</td>
                  <td>
                    <div class="bar">
                      <span class="confirmed" style="width: ${100*r.confirmed/a}%"></span>
                      <span class="dismissed" style="width: ${100*r.dismissed/a}%"></span>
                      <span class="pending" style="width: ${100*r.pending/a}%"></span>
                    </div>
                  </td>
                </tr>`})}
            </tbody>
          </table>`}
    </div>`}_repeatVisitors(t){return n`<div class="card">
      <h3>Repeat visitors</h3>
      ${t.repeat_visitors.length===0?n`<p class="muted">Nobody seen on more than one day or camera.</p>`:n`<div class="scroll">
            <table>
              <thead>
                <tr>
                  <th>Person</th>
                  <th>Visits</th>
                  <th>Days</th>
                  <th>Cameras</th>
                  <th>Last seen</th>
                </tr>
              </thead>
              <tbody>
                ${t.repeat_visitors.map(s=>n`<tr>
                      <td title=${s.person_id}>${s.person_id.slice(0,8)}</td>
                      <td>${s.visits}</td>
                      <td>${s.days}</td>
                      <td>${s.cameras}</td>
                      <td>${z(this.hass,s.last_seen)}</td>
                    </tr>`)}
              </tbody>
            </table>
          </div>`}
    </div>`}_reviewTimes(t){let s=t.review_times;return n`<div class="card">
      <h3>Time to review</h3>
      <div class="figures">
        <div class="figure"><strong>${xt(s.median_seconds)}</strong>median</div>
        <div class="figure"><strong>${xt(s.p90_seconds)}</strong>90% within</div>
        <div class="figure"><strong>${s.count}</strong>reviewed</div>
      </div>
    </div>`}render(){if(this._error)return n`<p class="error">${this._error}</p>`;let t=this._trends;return t?n`<div class="grid">
      ${this._heatmap(t)} ${this._weekly(t)} ${this._repeatVisitors(t)}
      ${this._reviewTimes(t)}
      ${this._outcomes("Confirmed vs not them, per watchlist",t.outcomes.watchlist??[])}
      ${this._outcomes("Confirmed vs not them, per camera",t.outcomes.camera??[])}
    </div>`:n`<p class="muted">Loading…</p>`}};x("smartshop-trends-view",Ct);var Mt=class extends v{constructor(){super();this._loadedFor=null;this.stores=[],this.canEdit=!1,this._people=null,this._editing=null,this._draft={},this._busy=!1,this._error="",this._receipt=null,this._exports={},this._exporting=null}static{this.properties={hass:{attribute:!1},storeId:{attribute:!1},stores:{attribute:!1},canEdit:{attribute:!1},_people:{state:!0},_editing:{state:!0},_draft:{state:!0},_busy:{state:!0},_error:{state:!0},_receipt:{state:!0},_exports:{state:!0},_exporting:{state:!0}}}static{this.styles=[b,y`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(min(100%, 380px), 1fr));
        gap: 16px;
      }
      .person {
        display: grid;
        grid-template-columns: 96px minmax(0, 1fr);
        gap: 12px;
        align-items: start;
      }
      .person figure img,
      .person figure .nophoto {
        width: 96px;
      }
      .name {
        font-weight: 500;
        overflow-wrap: anywhere;
      }
      .flags {
        display: flex;
        gap: 4px;
        flex-wrap: wrap;
        margin-top: 4px;
      }
      .chip.due {
        background: var(--warning-color, #ffa600);
        color: #000;
      }
      .form {
        grid-column: 1 / -1;
        display: flex;
        flex-direction: column;
        gap: 8px;
      }
      .exported {
        margin-top: 8px;
        overflow-wrap: anywhere;
      }
      .exported a {
        color: var(--primary-color, #03a9f4);
      }
      .receipt {
        border-color: var(--primary-color, #03a9f4);
        margin-bottom: 16px;
      }
    `]}updated(t){if((t.has("hass")||t.has("storeId"))&&this.hass){let s=this.storeId??void 0;this._loadedFor!==s&&(this._loadedFor=s,this._load())}}async _load(){let t=this.storeId??void 0;try{let s=await re(this.hass,t);this._loadedFor===t&&(this._people=s)}catch(s){this._error=$(s)}}_start(t,s){this._editing={personId:t.person_id,mode:s},this._error="",this._draft=s==="edit"?{category:t.category,reason:t.reason}:s==="extend"?{expires:rt(t.expires)}:{}}async _save(t){this._busy=!0,this._error="";try{if(this._editing?.mode==="remove"){let s=await oe(this.hass,t.person_id);this._receipt={name:t.name,receipt:s},this._people=(this._people??[]).filter(r=>r.person_id!==t.person_id)}else await ae(this.hass,t.person_id,this._draft),await this._load();this._editing=null}catch(s){this._error=$(s)}finally{this._busy=!1}}async _export(t){this._exporting=t.person_id,this._error="";try{let s=await ce(this.hass,t.person_id);this._exports={...this._exports,[t.person_id]:s}}catch(s){this._error=$(s)}finally{this._exporting=null}}_form(t){let s=this._editing?.mode,r=n`<div class="actions">
      <button
        class=${s==="remove"?"danger":"primary"}
        name="save"
        ?disabled=${this._busy}
        @click=${()=>this._save(t)}
      >
        ${s==="remove"?"Remove and erase":"Save"}
      </button>
      <button ?disabled=${this._busy} @click=${()=>this._editing=null}>Cancel</button>
    </div>`;return s==="remove"?n`<div class="form">
        <p>
          Remove ${t.name} from the watchlist? Their photos, incidents and snapshots are
          erased; you get a receipt.
        </p>
        ${r}
      </div>`:s==="extend"?n`<div class="form">
        <label
          >Keep until
          <input
            type="date"
            name="expires"
            .value=${this._draft.expires??rt(t.expires)}
            @change=${a=>{let o=a.target.value;o&&(this._draft={expires:o})}}
          />
        </label>
        ${r}
      </div>`:n`<div class="form">
      <label
        >Category
        <select
          name="category"
          @change=${a=>{this._draft={...this._draft,category:a.target.value}}}
        >
          ${Pt.map(a=>n`<option value=${a} ?selected=${a===this._draft.category}>
                ${a}
              </option>`)}
        </select>
      </label>
      <label
        >Reason
        <textarea
          name="reason"
          .value=${this._draft.reason??""}
          @input=${a=>{this._draft={...this._draft,reason:a.target.value}}}
        ></textarea>
      </label>
      ${r}
    </div>`}_person(t){let s=this.stores.find(a=>a.store_id===t.store_id),r=this._editing?.personId===t.person_id;return n`<div class="card person" data-person=${t.person_id}>
      ${at(t.reference_url??null,"Reference")}
      <div>
        <div class="name">${t.name}</div>
        <div class="muted">${[t.watchlist,s?.name].filter(Boolean).join(" · ")}</div>
        <div class="flags">
          <span class="chip">${t.category}</span>
          ${t.review_due?n`<span class="chip due">Review due</span>`:l}
          ${t.expires_soon?n`<span class="chip due">Expires soon</span>`:l}
        </div>
        <dl>
          <dt>Reason</dt>
          <dd>${t.reason||"—"}</dd>
          <dt>Reference</dt>
          <dd>${t.incident_reference||"—"}</dd>
          <dt>Expires</dt>
          <dd>${z(this.hass,t.expires)}</dd>
          <dt>Review by</dt>
          <dd>${z(this.hass,t.review_date)}</dd>
        </dl>
        ${this.canEdit&&!r?n`<div class="actions">
              <button name="edit" @click=${()=>this._start(t,"edit")}>Edit</button>
              <button name="extend" @click=${()=>this._start(t,"extend")}>Extend</button>
              <button name="remove" class="danger" @click=${()=>this._start(t,"remove")}>
                Remove
              </button>
              <button
                name="export"
                ?disabled=${this._exporting!==null}
                @click=${()=>this._export(t)}
              >
                ${this._exporting===t.person_id?"Working…":"Export data"}
              </button>
            </div>`:l}
        ${this._exports[t.person_id]?n`<div class="exported">
              <a
                name="export-download"
                href=${this._exports[t.person_id].url}
                download=${this._exports[t.person_id].file}
                >${this._exports[t.person_id].file}</a
              >
            </div>`:l}
      </div>
      ${r?this._form(t):l}
    </div>`}render(){return n`${this._receipt?n`<div class="card receipt">
            <h3>Erasure receipt: ${this._receipt.name}</h3>
            <dl>
              ${Object.entries(this._receipt.receipt).map(([t,s])=>n`<dt>${t.replaceAll("_"," ")}</dt>
                    <dd>${Array.isArray(s)?`${s.length}: ${s.join(", ")}`:String(s)}</dd>`)}
            </dl>
            <div class="actions"><button @click=${()=>this._receipt=null}>Done</button></div>
          </div>`:l}
      ${this._error?n`<p class="error">${this._error}</p>`:l}
      ${this._people===null?n`<p class="muted">Loading…</p>`:this._people.length===0?n`<div class="card muted">Nobody is on a watchlist here.</div>`:n`<div class="grid">${this._people.map(t=>this._person(t))}</div>`}`}};x("smartshop-watchlist-view",Mt);var Se=[{path:"live",label:"Live"},{path:"incidents",label:"Incidents"},{path:"trends",label:"Trends"},{path:"watchlist",label:"Watchlist"},{path:"reports",label:"Reports"}],Ke=["reports"];function Ge(i){let e=(i?.path??"").split("/").filter(Boolean)[0];return Se.find(t=>t.path===e)?.path??"live"}var Tt=class extends v{constructor(){super();this._storesLoaded=!1;this._storesMarked=!1;this.narrow=!1,this._view="live",this._stores=[],this._canEdit=!1,this._storeId=void 0,this._error=""}static{this.properties={hass:{attribute:!1},narrow:{type:Boolean},route:{attribute:!1},panel:{attribute:!1},_view:{state:!0},_stores:{state:!0},_canEdit:{state:!0},_storeId:{state:!0},_error:{state:!0}}}static{this.styles=[b,y`
      :host {
        background: var(--primary-background-color, #fafafa);
        min-height: 100vh;
      }
      .top {
        position: sticky;
        top: 0;
        z-index: 2;
        background: var(--app-header-background-color, var(--primary-color, #03a9f4));
        color: var(--app-header-text-color, var(--text-primary-color, #fff));
        border-bottom: var(--app-header-border-bottom, none);
      }
      header {
        display: flex;
        align-items: center;
        gap: 8px;
        height: var(--header-height, 56px);
        padding: 0 12px;
      }
      header h1 {
        font-size: 1.25rem;
        font-weight: 400;
        margin: 0;
        flex: 1;
      }
      .menu {
        background: none;
        border: none;
        color: inherit;
        font-size: 1.5rem;
        padding: 4px 8px;
        min-height: 0;
      }
      nav {
        display: flex;
        gap: 4px;
        padding: 0 12px;
        overflow-x: auto;
      }
      nav a {
        color: var(--app-header-text-color, var(--text-primary-color, #fff));
        opacity: 0.75;
        text-decoration: none;
        padding: 10px 12px;
        border-bottom: 2px solid transparent;
        white-space: nowrap;
      }
      nav a[aria-current="page"] {
        opacity: 1;
        border-bottom-color: currentColor;
      }
      main {
        padding: 16px;
        max-width: 1400px;
        margin: 0 auto;
      }
      .stores {
        display: flex;
        gap: 8px;
        overflow-x: auto;
        margin-bottom: 16px;
        padding-bottom: 4px;
      }
      .store {
        text-align: left;
        flex: 0 0 auto;
        min-width: 150px;
        display: flex;
        flex-direction: column;
        gap: 2px;
        background: var(--card-background-color, #fff);
      }
      .store[aria-pressed="true"] {
        border-color: var(--primary-color, #03a9f4);
        box-shadow: inset 0 0 0 1px var(--primary-color, #03a9f4);
      }
      .store .totals {
        font-size: 0.8rem;
        color: var(--secondary-text-color, #727272);
      }
      @media (max-width: 600px) {
        main {
          padding: 8px;
        }
        .store {
          min-width: 120px;
        }
      }
    `]}willUpdate(t){t.has("route")&&(this._view=Ge(this.route))}firstUpdated(){performance.mark("smartshop-panel-rendered")}updated(t){!this._storesMarked&&this._stores.length>0&&(this._storesMarked=!0,performance.mark("smartshop-stores-rendered")),t.has("hass")&&this.hass&&!this._storesLoaded&&(this._storesLoaded=!0,this._loadStores())}async _loadStores(){try{let t=await ee(this.hass);this._stores=t.stores,this._canEdit=t.can_edit_watchlists}catch(t){this._error=$(t)}}_navigate(t,s){t.preventDefault(),this._view=s;let r=this.route?.prefix??"/smartshop";history.pushState(null,"",`${r}/${s}`),window.dispatchEvent(new CustomEvent("location-changed",{detail:{replace:!1}}))}_toggleMenu(){this.dispatchEvent(new CustomEvent("hass-toggle-menu",{bubbles:!0,composed:!0}))}_selectStore(t){this._storeId=t,this._loadStores()}_storeBar(){if(this._stores.length===0)return l;let t=this._stores.reduce((r,a)=>({total:r.total+a.totals.total,pending:r.pending+a.totals.pending}),{total:0,pending:0}),s=(r,a,o,h)=>n`<button
      class="store"
      data-store=${r??""}
      aria-pressed=${this._storeId===r?"true":"false"}
      @click=${()=>this._selectStore(r)}
    >
      <span>${a}</span>
      <span class="totals">${o} incidents · ${h} waiting</span>
    </button>`;return n`<div class="stores" role="group" aria-label="Store">
      ${this._stores.length>1?s(void 0,"All stores",t.total,t.pending):l}
      ${this._stores.map(r=>s(r.store_id,r.name,r.totals.total,r.totals.pending))}
    </div>`}_content(){let t=this._storeId;switch(this._view){case"incidents":return n`<smartshop-incidents-view
          .hass=${this.hass}
          .storeId=${t}
          .stores=${this._stores}
          .isAdmin=${this._canEdit}
        ></smartshop-incidents-view>`;case"trends":return n`<smartshop-trends-view .hass=${this.hass} .storeId=${t}></smartshop-trends-view>`;case"watchlist":return n`<smartshop-watchlist-view
          .hass=${this.hass}
          .storeId=${t}
          .stores=${this._stores}
          .canEdit=${this._canEdit}
        ></smartshop-watchlist-view>`;case"reports":return n`<smartshop-reports-view
          .hass=${this.hass}
          .storeId=${t}
          .stores=${this._stores}
        ></smartshop-reports-view>`;default:return n`<smartshop-live-view .hass=${this.hass} .storeId=${t}></smartshop-live-view>`}}render(){let t=this.route?.prefix??"/smartshop";return n`<div class="top">
        <header>
        ${this.narrow?n`<button class="menu" aria-label="Menu" @click=${this._toggleMenu}>☰</button>`:l}
        <h1>SmartShop</h1>
      </header>
      <nav>
        ${Se.filter(s=>this._canEdit||!Ke.includes(s.path)).map(s=>n`<a
              href="${t}/${s.path}"
              aria-current=${s.path===this._view?"page":"false"}
              @click=${r=>this._navigate(r,s.path)}
              >${s.label}</a
            >`)}
        </nav>
      </div>
      <main @reviewed=${this._loadStores} @matched=${this._loadStores}>
        ${this._error?n`<p class="error">${this._error}</p>`:l} ${this._storeBar()}
        ${this.hass?this._content():l}
      </main>`}};x("smartshop-panel",Tt);export{Tt as SmartShopPanel};
